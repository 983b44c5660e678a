package config

import (
	"testing"
)

// TestPolicyLegacyRead: fs.s3.cse.legacyRead.enabled, per bucket, for CSE
// enabled by either EMRFS or S3A names; off by default.
func TestPolicyLegacyRead(t *testing.T) {
	tests := []struct {
		name       string
		props      []string
		bucket     string
		wantLegacy bool
		wantSource string
	}{
		{name: "default off", props: []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", keyA}},
		{name: "emrfs cse-kms", props: []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", keyA, "fs.s3.cse.legacyRead.enabled", "true"},
			wantLegacy: true, wantSource: "fs.s3.cse.legacyRead.enabled"},
		{name: "per bucket only", bucket: "old-data", props: []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", keyA,
			"fs.s3.bucket.old-data.cse.legacyRead.enabled", "true"},
			wantLegacy: true, wantSource: "fs.s3.bucket.old-data.cse.legacyRead.enabled"},
		{name: "per bucket off over base on", bucket: "new", props: []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", keyA,
			"fs.s3.cse.legacyRead.enabled", "true", "fs.s3.bucket.new.cse.legacyRead.enabled", "false"}},
		{name: "s3a cse-kms", props: []string{"fs.s3a.encryption.algorithm", "CSE-KMS", "fs.s3a.encryption.key", keyA,
			"fs.s3.cse.legacyRead.enabled", "true"}, wantLegacy: true},
		{name: "cse-custom", props: []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.encryptionMaterialsProvider", staticRing,
			"fs.s3.cse.legacyRead.enabled", "true"}, wantLegacy: true},
		{name: "not cse: ignored", props: []string{"fs.s3.enableServerSideEncryption", "true", "fs.s3.cse.legacyRead.enabled", "true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := writeSite(t, tt.props...)
			o := load(t, []string{f}, nil)
			p, err := o.Policy(tt.bucket)
			if err != nil {
				t.Fatal(err)
			}
			if p.LegacyRead != tt.wantLegacy {
				t.Errorf("LegacyRead %v, want %v", p.LegacyRead, tt.wantLegacy)
			}
			if tt.wantSource != "" {
				if e := p.Source["LegacyRead"]; e.Name != tt.wantSource || e.File != f {
					t.Errorf("Source[LegacyRead] = %s in %s, want %s in %s", e.Name, e.File, tt.wantSource, f)
				}
			}
		})
	}
	f := writeSite(t, "fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", keyA, "fs.s3.cse.legacyRead.enabled", "sometimes")
	_, err := load(t, []string{f}, nil).Policy("")
	wantConfErr(t, err, ErrInvalid, f, "fs.s3.cse.legacyRead.enabled")
}
