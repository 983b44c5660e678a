package integration

import (
	"crypto/md5"
	"encoding/binary"
	"hash/crc32"
	"os/user"
	"path/filepath"
	"testing"

	"github.com/emrfsd/emrfsd/internal/testenv"
)

// Gateway is a daemon serving three top-level directories backed by fresh
// MinIO buckets: "plain", "ssekms" (SSE-KMS with MinIO's key) and "csekms"
// (CSE-KMS with a fresh local-kms key).
type Gateway struct {
	*Daemon
	Env     *testenv.Env
	Buckets map[string]string // dir → bucket
	Key     testenv.Key
	Audit   string
}

// Dirs are the top-level directories every gateway serves, one per
// encryption provider under test.
var Dirs = []string{"plain", "ssekms", "csekms"}

func newGateway(t testing.TB, extra map[string]string) *Gateway {
	t.Helper()
	e := testenv.Get(t)
	g := &Gateway{Env: e, Buckets: map[string]string{}}
	g.Key = e.NewKMSKey(t, "it")
	for _, d := range Dirs {
		g.Buckets[d] = e.NewBucket(t, "it-"+d)
		e.RemoveBucketOnCleanup(t, g.Buckets[d]) // after every daemon of the test has stopped
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	g.Audit = filepath.Join(dataDir, "kms-audit.log")
	props := map[string]string{
		"emrfsd.buckets":           "plain=" + g.Buckets["plain"] + ",ssekms=" + g.Buckets["ssekms"] + ",csekms=" + g.Buckets["csekms"],
		"fs.s3a.path.style.access": "true",
		"emrfsd.kms.audit.log":     g.Audit,
		"dfs.permissions.enabled":  "true",
		"fs.s3.bucket." + g.Buckets["ssekms"] + ".enableServerSideEncryption":     "true",
		"fs.s3.bucket." + g.Buckets["ssekms"] + ".serverSideEncryption.kms.keyId": testenv.MinIOKMSKey,
		"fs.s3.bucket." + g.Buckets["csekms"] + ".cse.enabled":                    "true",
		"fs.s3.bucket." + g.Buckets["csekms"] + ".cse.kms.keyId":                  g.Key.Alias,
	}
	for k, v := range extra {
		props[k] = v
	}
	g.Daemon = StartDaemon(t, dataDir, props, awsEnv(e))
	return g
}

// hadoopChecksum computes what `hdfs checksum` prints for data stored in
// blocks of blockSize: MD5 over the per-block MD5s of the chunk CRC32Cs,
// zero-padded as Hadoop's byte buffer is.
func hadoopChecksum(data []byte, blockSize int) []byte {
	tab := crc32.MakeTable(crc32.Castagnoli)
	var blockMD5s []byte
	for off := 0; off < len(data); off += blockSize {
		blk := data[off:min(off+blockSize, len(data))]
		var crcs []byte
		for c := 0; c < len(blk); c += 512 {
			crcs = binary.BigEndian.AppendUint32(crcs, crc32.Checksum(blk[c:min(c+512, len(blk))], tab))
		}
		s := md5.Sum(crcs)
		blockMD5s = append(blockMD5s, s[:]...)
	}
	padded := 32
	for padded < len(blockMD5s) {
		padded *= 2
	}
	all := append(blockMD5s, make([]byte, padded-len(blockMD5s))...)
	s := md5.Sum(all)
	return s[:]
}

func currentUser(t testing.TB) string {
	u, err := user.Current()
	if err != nil {
		if t == nil {
			panic(err)
		}
		t.Fatal(err)
	}
	return u.Username
}
