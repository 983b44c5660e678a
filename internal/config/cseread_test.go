package config

import (
	"context"
	"reflect"
	"slices"
	"testing"
)

const keyEU = "arn:aws:kms:eu-west-1:111122223333:key/eeeeeeee-1111-2222-3333-444444444444"

// TestPolicyCSEReadOptions: fs.s3.cse.legacyRead.enabled and
// fs.s3.cse.kms.alternateKeyIds, per bucket, for CSE enabled by either
// EMRFS or S3A names; off and empty by default.
func TestPolicyCSEReadOptions(t *testing.T) {
	tests := []struct {
		name       string
		props      []string
		bucket     string
		wantLegacy bool
		wantAlts   []string
		wantSource map[string]string
	}{
		{name: "defaults", props: []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", keyA}},
		{name: "emrfs cse-kms", props: []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", keyA,
			"fs.s3.cse.legacyRead.enabled", "true", "fs.s3.cse.kms.alternateKeyIds", " alias/good , " + keyA + ",,alias/good, alias/old"},
			wantLegacy: true, wantAlts: []string{"alias/good", "alias/old"}, // the key itself and repeats dropped
			wantSource: map[string]string{"LegacyRead": "fs.s3.cse.legacyRead.enabled", "KMSAlternateKeyIDs": "fs.s3.cse.kms.alternateKeyIds"}},
		{name: "per bucket only", bucket: "old-data", props: []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", keyA,
			"fs.s3.bucket.old-data.cse.legacyRead.enabled", "true", "fs.s3.bucket.old-data.cse.kms.alternateKeyIds", "alias/old"},
			wantLegacy: true, wantAlts: []string{"alias/old"},
			wantSource: map[string]string{"LegacyRead": "fs.s3.bucket.old-data.cse.legacyRead.enabled",
				"KMSAlternateKeyIDs": "fs.s3.bucket.old-data.cse.kms.alternateKeyIds"}},
		{name: "per bucket off over base on", bucket: "new", props: []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", keyA,
			"fs.s3.cse.legacyRead.enabled", "true", "fs.s3.bucket.new.cse.legacyRead.enabled", "false"}},
		{name: "s3a cse-kms", props: []string{"fs.s3a.encryption.algorithm", "CSE-KMS", "fs.s3a.encryption.key", keyA,
			"fs.s3.cse.legacyRead.enabled", "true", "fs.s3.cse.kms.alternateKeyIds", "alias/old"},
			wantLegacy: true, wantAlts: []string{"alias/old"}},
		{name: "cse-custom legacy, no alternates", props: []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.encryptionMaterialsProvider", staticRing,
			"fs.s3.cse.legacyRead.enabled", "true", "fs.s3.cse.kms.alternateKeyIds", "alias/old"},
			wantLegacy: true},
		{name: "not cse: ignored", props: []string{"fs.s3.enableServerSideEncryption", "true",
			"fs.s3.cse.legacyRead.enabled", "true", "fs.s3.cse.kms.alternateKeyIds", "alias/old"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := writeSite(t, tt.props...)
			o := load(t, []string{f}, nil)
			p, err := o.Policy(tt.bucket)
			if err != nil {
				t.Fatal(err)
			}
			if p.LegacyRead != tt.wantLegacy || !reflect.DeepEqual(p.KMSAlternateKeyIDs, tt.wantAlts) {
				t.Errorf("LegacyRead %v, alternates %q; want %v, %q", p.LegacyRead, p.KMSAlternateKeyIDs, tt.wantLegacy, tt.wantAlts)
			}
			for field, prop := range tt.wantSource {
				if e := p.Source[field]; e.Name != prop || e.File != f {
					t.Errorf("Source[%s] = %s in %s, want %s in %s", field, e.Name, e.File, prop, f)
				}
			}
		})
	}
}

func TestPolicyCSEReadRefusals(t *testing.T) {
	for _, tt := range []struct {
		name  string
		props []string
		class error
		prop  string
	}{
		{"malformed legacy flag", []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", keyA, "fs.s3.cse.legacyRead.enabled", "sometimes"},
			ErrInvalid, "fs.s3.cse.legacyRead.enabled"},
		{"aws-managed alternate", []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", keyA, "fs.s3.cse.kms.alternateKeyIds", "alias/old,alias/aws/s3"},
			ErrAWSManagedKey, "fs.s3.cse.kms.alternateKeyIds"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := writeSite(t, tt.props...)
			_, err := load(t, []string{f}, nil).Policy("")
			wantConfErr(t, err, tt.class, f, tt.prop)
		})
	}
}

// TestValidateAlternateKeys: alternates are described like the bucket's
// key, resolved to ARNs, and must pass the same checks and share its
// region.
func TestValidateAlternateKeys(t *testing.T) {
	keys := newFakeKeys()
	keys.keys["alias/old"] = goodKey("arn:aws:kms:us-east-1:111122223333:key/old")
	keys.keys[keyEU] = goodKey(keyEU)
	f := writeSite(t, "fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", "alias/good", "fs.s3.cse.kms.alternateKeyIds", "alias/old,"+keyA)
	o := load(t, []string{f}, nil)
	if err := o.Validate(context.Background(), keys, nil); err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(slices.Values(keys.calls))
	if want := []string{"alias/good", "alias/old", keyA}; !slices.Equal(got, want) {
		t.Errorf("DescribeKey calls %q, want %q", got, want)
	}
	if arn := o.KeyARN("alias/old"); arn != "arn:aws:kms:us-east-1:111122223333:key/old" {
		t.Errorf("KeyARN(alias/old) = %q", arn)
	}

	for _, tt := range []struct {
		name, alts string
		class      error
	}{
		{"missing", "alias/missing", ErrKeyRefused},
		{"disabled", "alias/off", ErrKeyRefused},
		{"asymmetric", "alias/rsa", ErrKeyRefused},
		{"other region", keyEU, ErrConflict},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := writeSite(t, "fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", "alias/good", "fs.s3.bucket.bkt1.cse.kms.alternateKeyIds", tt.alts)
			o := load(t, []string{f}, nil)
			wantConfErr(t, o.Validate(context.Background(), keys, nil), tt.class, f, "fs.s3.bucket.bkt1.cse.kms.alternateKeyIds")
		})
	}
}
