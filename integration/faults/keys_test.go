package faults

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/internal/testenv"
)

// secret is one key the daemon saw, in every form searched.
type secret struct {
	name string
	raw  []byte
}

func (s secret) forms() map[string][]byte {
	return map[string][]byte{
		"raw":       s.raw,
		"hex":       []byte(hex.EncodeToString(s.raw)),
		"HEX":       []byte(strings.ToUpper(hex.EncodeToString(s.raw))),
		"base64":    []byte(base64.StdEncoding.EncodeToString(s.raw)),
		"base64url": []byte(base64.RawURLEncoding.EncodeToString(s.raw)),
	}
}

// hit is one occurrence of a key in a scanned blob.
type hit struct {
	secret, form, where string
	off                 int
	inSchedule          bool   // raw, followed by round keys 2-3 of its AES-256 key schedule
	httpAnswer          bool   // encoded, inside a KMS answer as received (see inHTTPAnswer)
	context             string // the bytes around an encoded hit
}

// aes256Schedule is the FIPS-197 key expansion of a 32-byte key, 240
// bytes in round-key byte order (the layout AES-NI code keeps in memory).
func aes256Schedule(key []byte) []byte {
	sbox := func(b byte) byte {
		// Compute the S-box from the cipher itself: encrypt nothing fancy,
		// use the table-free definition (multiplicative inverse + affine).
		var inv byte
		if b != 0 {
			for x := 1; x < 256; x++ {
				if gmul(b, byte(x)) == 1 {
					inv = byte(x)
					break
				}
			}
		}
		s := inv
		for i := 1; i <= 4; i++ {
			s ^= inv<<i | inv>>(8-i)
		}
		return s ^ 0x63
	}
	w := make([]uint32, 60)
	for i := 0; i < 8; i++ {
		w[i] = binary.BigEndian.Uint32(key[4*i:])
	}
	rcon := uint32(1)
	for i := 8; i < 60; i++ {
		t := w[i-1]
		sub := func(x uint32) uint32 {
			return uint32(sbox(byte(x>>24)))<<24 | uint32(sbox(byte(x>>16)))<<16 | uint32(sbox(byte(x>>8)))<<8 | uint32(sbox(byte(x)))
		}
		switch {
		case i%8 == 0:
			t = sub(t<<8|t>>24) ^ rcon<<24
			rcon = uint32(gmul(byte(rcon), 2))
		case i%8 == 4:
			t = sub(t)
		}
		w[i] = w[i-8] ^ t
	}
	out := make([]byte, 240)
	for i, x := range w {
		binary.BigEndian.PutUint32(out[4*i:], x)
	}
	return out
}

func gmul(a, b byte) byte {
	var p byte
	for b != 0 {
		if b&1 != 0 {
			p ^= a
		}
		hi := a & 0x80
		a <<= 1
		if hi != 0 {
			a ^= 0x1b
		}
		b >>= 1
	}
	return p
}

// scan finds every form of every secret in blob.
func scan(blob []byte, where string, secrets []secret) []hit {
	var hits []hit
	for _, s := range secrets {
		sched := aes256Schedule(s.raw)
		for form, needle := range s.forms() {
			for off := 0; ; {
				i := bytes.Index(blob[off:], needle)
				if i < 0 {
					break
				}
				at := off + i
				h := hit{secret: s.name, form: form, where: where, off: at}
				// Round keys 2 and 3 right after the key: an AES-256 key
				// schedule (AES-NI layout), live or garbage (a dead one's
				// tail may already be reused by other objects).
				if form == "raw" && at+64 <= len(blob) && bytes.Equal(blob[at:at+64], sched[:64]) {
					h.inSchedule = true
				}
				hits = append(hits, h)
				off = at + 1
			}
		}
	}
	return hits
}

// scanTree scans every regular file under dir.
func scanTree(t testing.TB, dir string, secrets []secret) (files int, hits []hit) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		files++
		hits = append(hits, scan(raw, p, secrets)...)
		return nil
	})
	return files, hits
}

// TestKeyHygiene writes and reads CSE-KMS files (with local-disk
// encryption under a KMS node key and disk staging) while a core dump of
// the daemon is taken, provokes failing calls, then unwraps every data key
// and the node key the daemon saw with local-kms, and searches the
// daemon's log, the audit log, the client-facing error messages, every
// file of the data and staging directories, and the core dump, for each
// key raw, in hex and in base64.
func TestKeyHygiene(t *testing.T) {
	if _, err := exec.LookPath("gcore"); err != nil {
		t.Fatalf("gcore (gdb) is needed for the core dump: %v", err)
	}
	e := testenv.Get(t)
	px := startKMSProxy(t, e.KMSEndpoint)
	nodeKey := e.NewKMSKey(t, "node")
	local := filepath.Join(t.TempDir(), "local")
	g := newGateway(t, endpoints{KMS: "http://" + px.addr}, map[string]string{
		"emrfsd.local.encryption.kms.keyId": nodeKey.Alias,
		"emrfsd.local.dir":                  local,
		"fs.s3a.fast.upload.buffer":         "disk",
		"emrfsd.upload.memory.limit":        "0", // stage every part on disk
		"emrfsd.kms.retry.max.attempts":     "2",
		"emrfsd.kms.timeout":                "1s",
	})
	c := g.client(t)
	ctx := context.Background()
	if err := c.MkdirAll("/csekms/keys", 0o755); err != nil {
		t.Fatal(err)
	}
	var clientErrs []string
	// Files written and read before the dump.
	for i := 0; i < 6; i++ {
		p := fmt.Sprintf("/csekms/keys/before%d", i)
		if err := writeAll(c, p, int64(1+i)*3*mib); err != nil {
			t.Fatal(err)
		}
		r, err := c.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if bad, _, err := compare(r, p, int64(1+i)*3*mib); bad >= 0 || err != nil {
			t.Fatalf("%s: %d %v", p, bad, err)
		}
		r.Close()
	}
	// Under load: 4 writers and 2 readers while gcore runs.
	core := filepath.Join(t.TempDir(), "emrfsd-core")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			wc := g.client(t)
			for k := 0; k < 20; k++ {
				select {
				case <-stop:
					return
				default:
				}
				if i < 4 {
					p := fmt.Sprintf("/csekms/keys/load%d-%d", i, k)
					if err := writeAll(wc, p, 24*mib); err != nil {
						t.Errorf("load write %s: %v", p, err)
						return
					}
				} else {
					p := fmt.Sprintf("/csekms/keys/before%d", i)
					r, err := wc.Open(p)
					if err != nil {
						t.Errorf("load read: %v", err)
						return
					}
					io.Copy(io.Discard, r)
					r.Close()
				}
			}
		}(i)
	}
	time.Sleep(2 * time.Second)
	out, err := exec.Command("gcore", "-o", core, fmt.Sprint(g.Pid())).CombinedOutput()
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("gcore: %v\n%s", err, out)
	}
	core = fmt.Sprintf("%s.%d", core, g.Pid())
	// Failing calls, for their error messages: KMS refusing, a missing
	// file, a tampered object.
	px.set(kmsRefuse)
	if err := writeAll(c, "/csekms/keys/kmsdown", mib); err != nil {
		clientErrs = append(clientErrs, err.Error(), remoteMessage(err))
	} else {
		t.Fatal("a CSE write succeeded with KMS refusing connections")
	}
	px.set(kmsPass)
	if _, err := c.Open("/csekms/keys/missing"); err != nil {
		clientErrs = append(clientErrs, err.Error(), remoteMessage(err))
	}
	b := g.Buckets["csekms"]
	obj, err := g.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("keys/before0")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	body[100] ^= 1
	if _, err := g.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("keys/tampered"), Body: bytes.NewReader(body), Metadata: obj.Metadata}); err != nil {
		t.Fatal(err)
	}
	if r, err := c.Open("/csekms/keys/tampered"); err == nil {
		_, err = io.ReadAll(r)
		r.Close()
		if err == nil {
			t.Fatal("a tampered CSE object read without error")
		}
		clientErrs = append(clientErrs, err.Error())
	}
	g.Stop() // flush logs, purge the cache

	// The keys: every data key of every CSE object, and the node key.
	kc := e.KMSClient()
	var secrets []secret
	for _, o := range listAll(t, g.S3, b, "keys/") {
		h, err := g.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: o.Key})
		if err != nil {
			t.Fatal(err)
		}
		wrapped, err := base64.StdEncoding.DecodeString(h.Metadata["x-amz-key-v2"])
		if err != nil || len(wrapped) == 0 {
			continue // a directory marker
		}
		var encCtx map[string]string
		if err := json.Unmarshal([]byte(h.Metadata["x-amz-matdesc"]), &encCtx); err != nil {
			t.Fatal(err)
		}
		d, err := kc.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: wrapped, EncryptionContext: encCtx})
		if err != nil {
			t.Fatalf("unwrap the data key of %s: %v", aws.ToString(o.Key), err)
		}
		secrets = append(secrets, secret{name: "data key of " + aws.ToString(o.Key), raw: d.Plaintext})
	}
	var st struct {
		Wrapped string `json:"wrapped_key"`
		Salt    string `json:"salt"`
	}
	raw, err := os.ReadFile(filepath.Join(g.DataDir, "nodekey.json"))
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(raw, &st)
	nw, _ := base64.StdEncoding.DecodeString(st.Wrapped)
	salt, _ := base64.StdEncoding.DecodeString(st.Salt)
	nd, err := kc.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: nw})
	if err != nil {
		t.Fatalf("unwrap the node key: %v", err)
	}
	secrets = append(secrets, secret{name: "node key (KMS plaintext)", raw: nd.Plaintext})
	// The derived local-disk key lives in the daemon's memory by design
	// (it seals every staging file); it is searched as a positive control
	// of the core scan, and must appear in no file or log.
	derived, err := hkdf.Key(sha256.New, []byte(base64.StdEncoding.EncodeToString(nd.Plaintext)), salt, "emrfsd node key v1", 32)
	if err != nil {
		t.Fatal(err)
	}
	derivedKey := secret{name: "derived local-disk key", raw: derived}
	if len(secrets) < 8 {
		t.Fatalf("only %d data keys found", len(secrets)-1)
	}
	// Sanity: the schedule check matches crypto/aes's idea of the key.
	if _, err := aes.NewCipher(derived); err != nil {
		t.Fatal(err)
	}

	all := append(append([]secret{}, secrets...), derivedKey)
	var leaks []hit
	leaks = append(leaks, scan([]byte(g.Log.String()), "daemon log", all)...)
	auditRaw, err := os.ReadFile(g.Audit)
	if err != nil || len(auditRaw) == 0 {
		t.Fatalf("audit log: %v", err)
	}
	leaks = append(leaks, scan(auditRaw, "audit log", all)...)
	leaks = append(leaks, scan([]byte(strings.Join(clientErrs, "\n")), "client error messages", all)...)
	dataFiles, h := scanTree(t, g.DataDir, all)
	leaks = append(leaks, h...)
	localFiles, h := scanTree(t, local, all)
	leaks = append(leaks, h...)
	for _, l := range leaks {
		t.Errorf("KEY LEAK: %s (%s) in %s at %d", l.secret, l.form, l.where, l.off)
	}

	// The core dump.
	coreHits, coreSize := scanCore(t, core, all)
	os.Remove(core)
	var derivedFound, inSchedule, bare, encoded int
	keysInSchedule := map[string]bool{}
	transportKeys := map[string]bool{}
	for _, h := range coreHits {
		switch {
		case h.secret == derivedKey.name:
			derivedFound++
		case h.form != "raw" && h.httpAnswer:
			// The KMS answer as read from the socket, in the HTTP
			// transport's per-connection buffer until the connection's
			// next answer overwrites it (over TLS, crypto/tls's record
			// buffers): out of the daemon's reach. Every decoded copy is
			// the daemon's and is zeroed.
			encoded++
			transportKeys[h.secret] = true
		case h.form != "raw":
			t.Errorf("KEY IN CORE: %s as %s at %d, not in a raw KMS answer: context %s", h.secret, h.form, h.off, h.context)
		case h.inSchedule:
			inSchedule++
			keysInSchedule[h.secret] = true
		default:
			bare++
			t.Errorf("KEY IN CORE: raw bytes of %s at %d outside an AES key schedule (a copy the daemon did not zero): around it %s", h.secret, h.off, h.context)
		}
	}
	if derivedFound == 0 {
		t.Errorf("positive control failed: the derived local-disk key, which the daemon holds while it runs, was not found in the core dump (is the scan broken?)")
	}
	t.Logf("core dump %d MiB: %d data keys + node key searched; derived local-disk key found %d times (expected: it is held while the daemon runs); %d raw data-key hits inside AES key schedules (%d distinct keys), %d raw hits elsewhere, %d base64 hits inside raw KMS answers in HTTP read buffers (%d keys)",
		coreSize/mib, len(secrets)-1, derivedFound, inSchedule, len(keysInSchedule), bare, encoded, len(transportKeys))
	figure(t, "keys searched %d (%d CSE data keys, the node key's KMS plaintext, the derived local-disk key), forms raw/hex/HEX/base64/base64url; found in daemon log, audit log, client errors, %d data-dir files, %d staging files: %d; core dump under load (%d MiB): raw copies outside AES key schedules %d, encoded copies outside raw KMS answers 0, data keys inside AES key schedules (live or not yet reused ciphers) %d of %d, data keys in the HTTP transport's read buffers (the last KMS answer per connection) %d, node-key plaintext %d",
		len(all), len(secrets)-1, dataFiles, localFiles, len(leaks), coreSize/mib, bare, len(keysInSchedule), len(secrets)-1, len(transportKeys), countSecret(coreHits, "node key (KMS plaintext)"))
}

// scanCore scans a core file in 64 MiB windows (a whole core in memory
// costs gigabytes under the race detector), each with enough bytes
// before and after for the schedule and HTTP-answer checks.
func scanCore(t testing.TB, path string, secrets []secret) ([]hit, int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("core dump: %v", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	const win, before, after = 64 << 20, 4200, 512
	size := st.Size()
	buf := make([]byte, before+win+after)
	var hits []hit
	for base := int64(0); base < size; base += win {
		lo, hi := max(0, base-before), min(size, base+win+after)
		w := buf[:hi-lo]
		if _, err := f.ReadAt(w, lo); err != nil && err != io.EOF {
			t.Fatalf("read core: %v", err)
		}
		for _, h := range scan(w, "core", secrets) {
			abs := lo + int64(h.off)
			if abs < base || abs >= base+win {
				continue // another window's
			}
			if h.form != "raw" {
				h.httpAnswer = inHTTPAnswer(w, h.off)
				h.context = fmt.Sprintf("%q", w[max(0, h.off-120):min(len(w), h.off+60)])
			} else {
				h.context = fmt.Sprintf("% x | % x", w[max(0, h.off-64):h.off], w[h.off+32:min(len(w), h.off+96)])
			}
			h.off = int(abs)
			hits = append(hits, h)
		}
	}
	return hits, size
}

// inHTTPAnswer reports whether the base64 key at off sits in a KMS answer
// exactly as received: the value of "Plaintext" in a JSON body that
// directly follows the HTTP headers.
func inHTTPAnswer(blob []byte, off int) bool {
	const field = `"Plaintext":"`
	if off < len(field) || string(blob[off-len(field):off]) != field {
		return false
	}
	start := max(0, off-4096)
	i := bytes.LastIndex(blob[start:off], []byte("\r\n\r\n{"))
	return i >= 0 && bytes.Contains(blob[start:start+i], []byte("HTTP/1.1 200"))
}

func countSecret(hits []hit, name string) int {
	n := 0
	for _, h := range hits {
		if h.secret == name {
			n++
		}
	}
	return n
}
