package cases

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/bench/report"
)

// l1ObjectSize is the plaintext size of each listed object.
const l1ObjectSize = 1024

const cekAlg = "AES/GCM/NoPadding"

// putCSEObjects writes n small objects under prefix in the S3 Encryption
// Client V2 format (kms+context, AES-GCM), with one data key for all of
// them and a fresh IV each, 8 PUTs at a time.
func (s *suite) putCSEObjects(ctx context.Context, bucket, prefix string, n int) error {
	encCtx := map[string]string{"aws:x-amz-cek-alg": cekAlg}
	dk, err := s.env.KMS.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(s.env.Alias), KeySpec: kmstypes.DataKeySpecAes256, EncryptionContext: encCtx})
	if err != nil {
		return fmt.Errorf("bench: GenerateDataKey: %w", err)
	}
	block, err := aes.NewCipher(dk.Plaintext)
	clear(dk.Plaintext)
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	matdesc, err := json.Marshal(encCtx)
	if err != nil {
		return err
	}
	plain := make([]byte, l1ObjectSize)
	wrapped := base64.StdEncoding.EncodeToString(dk.CiphertextBlob)
	jobs := make(chan int)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		errs    []error
		fctx, c = context.WithCancel(ctx)
	)
	defer c()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				iv := make([]byte, aead.NonceSize())
				_, _ = rand.Read(iv)
				body := aead.Seal(nil, iv, plain, nil)
				_, err := s.env.S3.PutObject(fctx, &s3.PutObjectInput{
					Bucket: &bucket, Key: aws.String(fmt.Sprintf("%sobj-%06d", prefix, j)),
					Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
					Metadata: map[string]string{
						"x-amz-key-v2": wrapped, "x-amz-iv": base64.StdEncoding.EncodeToString(iv),
						"x-amz-matdesc": string(matdesc), "x-amz-wrap-alg": "kms+context", "x-amz-cek-alg": cekAlg,
						"x-amz-tag-len": "128", "x-amz-unencrypted-content-length": strconv.Itoa(len(plain)),
					},
				})
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					c()
				}
			}
		}()
	}
	for j := range n {
		if fctx.Err() != nil {
			break
		}
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("bench: put CSE objects: %w", err)
	}
	return nil
}

// caseL1 lists a directory of ListObjects CSE objects: HDFS ReadDir vs
// paginated ListObjectsV2. Both sides go through their own counting proxy
// (the same extra hop); the daemon's proxy counts its HEAD requests.
func (s *suite) caseL1(ctx context.Context) {
	z := s.cfg.Sizes
	bucket := s.env.Buckets[CSEKMS]
	prefix := "bench/l1/"
	row := report.Row{Case: "L1", Provider: CSEKMS, What: fmt.Sprintf("list %d CSE objects", z.ListObjects), Unit: "s",
		Baseline: "ListObjectsV2", Target: le(1.3)}
	cold := report.Measure{Case: "L1", Provider: CSEKMS,
		Metric: fmt.Sprintf("HEAD requests in the first listing of %d objects emrfsd never wrote", z.ListObjects)}
	coldTime := report.Measure{Case: "L1", Provider: CSEKMS, Metric: "first listing: time emrfsd/direct", Unit: "×"}
	heads := report.Measure{Case: "L1", Provider: CSEKMS, Metric: fmt.Sprintf("HEAD requests emrfsd sent while listing (%d reps after the first)", z.Reps), Target: le(0)}
	err := s.runL1(ctx, bucket, prefix, &row, &heads, &cold, &coldTime)
	s.addRow(row, err)
	for _, m := range []*report.Measure{&cold, &coldTime, &heads} {
		if err != nil {
			m.Err = "case failed"
		}
		s.addMeasure(*m, nil)
	}
	if err := s.env.deletePrefix(ctx, bucket, prefix); err != nil {
		s.log.Warn("bench: cleanup", "err", err)
	}
}

func (s *suite) runL1(ctx context.Context, bucket, prefix string, row *report.Row, heads, cold, coldTime *report.Measure) (err error) {
	z := s.cfg.Sizes
	start := time.Now()
	if err := s.putCSEObjects(ctx, bucket, prefix, z.ListObjects); err != nil {
		return err
	}
	s.log.Info("bench: L1 objects written", "n", z.ListObjects, "seconds", time.Since(start).Seconds())
	pd, err := NewCountingProxy(s.cfg.Servers.S3Endpoint)
	if err != nil {
		return err
	}
	defer pd.Close(context.WithoutCancel(ctx))
	pe, err := NewCountingProxy(s.cfg.Servers.S3Endpoint)
	if err != nil {
		return err
	}
	defer pe.Close(context.WithoutCancel(ctx))
	d, err := s.env.StartDaemon(ctx, s.cfg.Emrfsd, s.cfg.WorkDir, pe.URL)
	if err != nil {
		return err
	}
	defer d.Stop()
	defer func() { s.logDaemon(d, err) }()
	hc, err := d.Client()
	if err != nil {
		return err
	}
	defer hc.Close()
	direct := s.env.s3ClientFor(pd.URL)
	dir := s.hdfsPath(CSEKMS, "bench/l1")
	listDirect := func(ctx context.Context, i int) (float64, error) {
		var n int
		t, err := timed(func() (err error) { n, err = directList(ctx, direct, bucket, prefix); return err })
		if err != nil {
			return 0, err
		}
		if n != z.ListObjects {
			return 0, fmt.Errorf("%w: direct listing has %d entries, want %d", errContent, n, z.ListObjects)
		}
		return t.Seconds(), nil
	}
	listEmrfsd := func(ctx context.Context, i int) (float64, error) {
		var n int
		t, err := timed(func() error {
			fis, err := hc.ReadDir(dir)
			if err != nil {
				return fmt.Errorf("emrfsd: ReadDir %s: %w", dir, err)
			}
			n = len(fis)
			for _, fi := range fis {
				if fi.Size() != l1ObjectSize {
					return fmt.Errorf("%w: emrfsd lists %s with size %d, want the plaintext size %d", errContent, fi.Name(), fi.Size(), l1ObjectSize)
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
		if n != z.ListObjects {
			return 0, fmt.Errorf("%w: emrfsd listing has %d entries, want %d", errContent, n, z.ListObjects)
		}
		return t.Seconds(), nil
	}
	// The objects were written straight to S3 (as EMRFS or another tool
	// would have): emrfsd's first listing HEADs each one once for the
	// attributes a listing must show (emrfsd.list.head.unknown) and
	// remembers them; the timed repetitions are the listings after that.
	pe.Reset()
	td, err := listDirect(ctx, -1)
	if err != nil {
		return err
	}
	te, err := listEmrfsd(ctx, -1)
	if err != nil {
		return err
	}
	cold.Value = float64(pe.Count("HEAD"))
	cold.Note = "once per object: the attribute index remembers them (README, Known limitations)"
	coldTime.Value = te / td
	coldTime.Note = fmt.Sprintf("%.2f s vs %.2f s", te, td)
	pe.Reset()
	row.Direct, row.Emrfsd, err = alternate(ctx, z.Reps, listDirect, listEmrfsd)
	if err != nil {
		return err
	}
	heads.Value = float64(pe.Count("HEAD"))
	heads.Note = fmt.Sprintf("emrfsd also sent %d GET (incl. list) requests; the direct side sent %d GET", pe.Count("GET"), pd.Count("GET"))
	return nil
}
