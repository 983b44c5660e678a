package kms

import (
	"context"
	"path/filepath"
	"testing"
)

func TestAuditLegacyRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := OpenAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := WithObject(context.Background(), "old", "2019/part-0")
	if err := l.LegacyRead(ctx, "AES/CBC/PKCS5Padding", "kms", map[string]string{"kms_cmk_id": "k"}); err != nil {
		t.Fatal(err)
	}
	recs, err := ReadAudit(path)
	if err != nil || len(recs) != 1 {
		t.Fatalf("%v, %d records", err, len(recs))
	}
	r := recs[0]
	if r.Op != OpLegacyRead || r.Bucket != "old" || r.Key != "2019/part-0" || r.Algorithm != "AES/CBC/PKCS5Padding" ||
		r.Wrap != "kms" || r.Context["kms_cmk_id"] != "k" || r.Outcome != OutcomeOK || r.Time.IsZero() {
		t.Fatalf("record %+v", r)
	}
}
