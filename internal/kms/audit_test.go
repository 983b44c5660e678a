package kms_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/internal/kms"
	"github.com/emrfsd/emrfsd/internal/kms/embedded"
	"github.com/emrfsd/emrfsd/internal/kms/kmstest"
	"github.com/emrfsd/emrfsd/internal/testenv"
)

func openAudit(t *testing.T, path string) *kms.AuditLog {
	t.Helper()
	l, err := kms.OpenAuditLog(path)
	if err != nil {
		t.Fatalf("OpenAuditLog: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// TestAuditLocalKMS drives the audited AWS adapter against local-kms and
// checks every line of the log: exact field set, values, and no key material.
func TestAuditLocalKMS(t *testing.T) {
	env := testenv.Get(t)
	key := env.NewKMSKey(t, "emrfsd-audit")
	path := filepath.Join(t.TempDir(), "kms-audit.log")
	log := openAudit(t, path)
	a := kms.NewAudited(kms.NewAWS(env.KMSClient()), log)

	encCtx := map[string]string{"kms_cmk_id": key.ARN}
	ctx := kms.WithObject(context.Background(), "bkt", "dir/obj.parquet")
	pt, wrapped, err := a.GenerateDataKey(ctx, key.Alias, encCtx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Decrypt(ctx, key.ARN, wrapped, encCtx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Decrypt(ctx, "", wrapped, encCtx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Decrypt(ctx, "", wrapped, map[string]string{"kms_cmk_id": "other"}); !errors.Is(err, errs.ErrKeyMismatch) {
		t.Fatalf("mismatched context: %v", err)
	}
	if _, err := a.DescribeKey(context.Background(), key.Alias); err != nil {
		t.Fatal(err)
	}
	missing := "alias/" + testenv.Unique("emrfsd-audit-missing")
	if _, err := a.DescribeKey(ctx, missing); !errors.Is(err, errs.ErrKeyUnavailable) {
		t.Fatalf("missing alias: %v", err)
	}
	// An unreachable service has no error code: the class is logged.
	cfg := env.AWSConfig()
	cfg.RetryMaxAttempts = 1
	dead := kms.NewAudited(kms.NewAWS(awskms.NewFromConfig(cfg, func(o *awskms.Options) { o.BaseEndpoint = aws.String("http://127.0.0.1:1") })), log)
	if _, _, err := dead.GenerateDataKey(ctx, key.Alias, nil); !errors.Is(err, errs.ErrKeyUnavailable) {
		t.Fatalf("unreachable: %v", err)
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range kmstest.Forms(pt, wrapped) {
		if bytes.Contains(raw, []byte(f)) {
			t.Fatalf("audit log contains key material (%d-char form)", len(f))
		}
	}
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if len(lines) != 7 {
		t.Fatalf("audit log has %d lines, want 7:\n%s", len(lines), raw)
	}
	wantFields := []string{"bucket", "context", "key", "key_id", "op", "outcome", "time"}
	for i, l := range lines {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d is not a JSON object: %v", i+1, err)
		}
		var got []string
		for k := range m {
			got = append(got, k)
		}
		slices.Sort(got)
		if !slices.Equal(got, wantFields) {
			t.Fatalf("line %d has fields %v, want %v", i+1, got, wantFields)
		}
		var ts string
		if err := json.Unmarshal(m["time"], &ts); err != nil {
			t.Fatal(err)
		}
		tm, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil || !strings.HasSuffix(ts, "Z") || time.Since(tm) > time.Minute {
			t.Fatalf("line %d time %q: not recent RFC3339Nano UTC (%v)", i+1, ts, err)
		}
	}

	recs, err := kms.ReadAudit(path)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		op, keyID, ctx, bucket, key, outcome string
	}
	ctxJSON := `{"kms_cmk_id":"` + key.ARN + `"}`
	want := []row{
		{"GenerateDataKey", key.Alias, ctxJSON, "bkt", "dir/obj.parquet", "ok"},
		{"Decrypt", key.ARN, ctxJSON, "bkt", "dir/obj.parquet", "ok"},
		{"Decrypt", key.ARN, ctxJSON, "bkt", "dir/obj.parquet", "ok"}, // no key id given: the ARN KMS reported
		{"Decrypt", "", `{"kms_cmk_id":"other"}`, "bkt", "dir/obj.parquet", "InvalidCiphertextException"},
		{"DescribeKey", key.Alias, `{}`, "", "", "ok"},
		{"DescribeKey", missing, `{}`, "bkt", "dir/obj.parquet", "NotFoundException"},
		{"GenerateDataKey", key.Alias, `{}`, "bkt", "dir/obj.parquet", "KeyUnavailable"},
	}
	for i, r := range recs {
		c, _ := json.Marshal(r.Context)
		got := row{r.Op, r.KeyID, string(c), r.Bucket, r.Key, r.Outcome}
		if got != want[i] {
			t.Errorf("record %d = %+v, want %+v", i+1, got, want[i])
		}
	}
	if n := kms.CountOps(recs); n["Decrypt"] != 3 || n["GenerateDataKey"] != 2 || n["DescribeKey"] != 2 {
		t.Errorf("CountOps = %v", n)
	}
}

// TestAuditAppendsAndPermissions: the log is created 0600, reopening appends,
// and concurrent writers produce whole lines.
func TestAuditAppendsAndPermissions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	k, err := embedded.Open(filepath.Join(dir, "kms"), "us-east-1", "111122223333")
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	arn, err := k.EnsureKey("audit")
	if err != nil {
		t.Fatal(err)
	}

	run := func(workers, each int) [][]byte {
		log, err := kms.OpenAuditLog(path)
		if err != nil {
			t.Fatal(err)
		}
		defer log.Close()
		a := kms.NewAudited(k, log)
		var (
			mu      sync.Mutex
			secrets [][]byte
			wg      sync.WaitGroup
		)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := kms.WithObject(context.Background(), "b", strings.Repeat("k", w+1))
				for range each {
					pt, wr, err := a.GenerateDataKey(ctx, arn, map[string]string{"w": "x"})
					if err != nil {
						t.Error(err)
						return
					}
					if _, err := a.Decrypt(ctx, "", wr, map[string]string{"w": "x"}); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					secrets = append(secrets, pt, wr)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return secrets
	}
	s1 := run(8, 25)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("audit log mode %v, want 0600", st.Mode().Perm())
	}
	s2 := run(4, 25)

	recs, err := kms.ReadAudit(path)
	if err != nil {
		t.Fatal(err)
	}
	n := kms.CountOps(recs)
	if n["GenerateDataKey"] != 300 || n["Decrypt"] != 300 || len(recs) != 600 {
		t.Fatalf("after two sessions: %v (%d records), want 300 GenerateDataKey + 300 Decrypt", n, len(recs))
	}
	for _, r := range recs {
		if r.Outcome != "ok" || r.KeyID != arn || r.Bucket != "b" || r.Context["w"] != "x" {
			t.Fatalf("unexpected record %+v", r)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append(s1, s2...) {
		for _, f := range kmstest.Forms(s) {
			if bytes.Contains(raw, []byte(f)) {
				t.Fatal("audit log contains key material")
			}
		}
	}
}

func TestObjectFrom(t *testing.T) {
	if b, k := kms.ObjectFrom(context.Background()); b != "" || k != "" {
		t.Fatalf("empty context gave %q %q", b, k)
	}
	b, k := kms.ObjectFrom(kms.WithObject(context.Background(), "bu", "a/b"))
	if b != "bu" || k != "a/b" {
		t.Fatalf("got %q %q", b, k)
	}
}

func TestCanonicalContext(t *testing.T) {
	if got := string(kms.CanonicalContext(nil)); got != "{}" {
		t.Errorf("nil: %s", got)
	}
	if got := string(kms.CanonicalContext(map[string]string{})); got != "{}" {
		t.Errorf("empty: %s", got)
	}
	got := string(kms.CanonicalContext(map[string]string{"b": "2", "a": "1", "c": `q"`}))
	if got != `{"a":"1","b":"2","c":"q\""}` {
		t.Errorf("sorted: %s", got)
	}
}
