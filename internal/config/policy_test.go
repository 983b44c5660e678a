package config

import (
	"reflect"
	"strings"
	"testing"
)

const (
	keyA       = "arn:aws:kms:us-east-1:111122223333:key/aaaaaaaa-1111-2222-3333-444444444444"
	keyB       = "alias/team-b"
	kmsClass   = "com.amazon.ws.emr.hadoop.fs.cse.KMSEncryptionMaterialsProvider"
	staticRing = "static-keyring"
)

func TestPolicy(t *testing.T) {
	tests := []struct {
		name   string
		props  []string
		bucket string
		want   Policy // Source is checked separately
		// wantSource maps Policy fields to the property that must have set them.
		wantSource map[string]string
	}{
		{name: "nothing", want: Policy{Provider: ProviderPlain}},
		{name: "emrfs sse-s3", props: []string{"fs.s3.enableServerSideEncryption", "true"},
			want:       Policy{Provider: ProviderSSES3},
			wantSource: map[string]string{"Provider": "fs.s3.enableServerSideEncryption"}},
		{name: "emrfs sse-kms aws-managed allowed", props: []string{"fs.s3.enableServerSideEncryption", "true", "fs.s3.serverSideEncryption.kms.keyId", "alias/aws/s3"},
			want:       Policy{Provider: ProviderSSEKMS, KMSKeyID: "alias/aws/s3"},
			wantSource: map[string]string{"KMSKeyID": "fs.s3.serverSideEncryption.kms.keyId"}},
		{name: "emrfs sse-kms key passed as written", props: []string{"fs.s3.enableServerSideEncryption", " True ", "fs.s3.serverSideEncryption.kms.keyId", keyA},
			want: Policy{Provider: ProviderSSEKMS, KMSKeyID: keyA}},
		{name: "emrfs sse key without sse", props: []string{"fs.s3.serverSideEncryption.kms.keyId", keyA},
			want: Policy{Provider: ProviderPlain}},
		{name: "emrfs cse default provider", props: []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", keyB},
			want:       Policy{Provider: ProviderCSEKMS, KMSKeyID: keyB, WrapAlg: WrapKMS, StorageMode: StorageObjectMetadata},
			wantSource: map[string]string{"Provider": "fs.s3.cse.enabled", "KMSKeyID": "fs.s3.cse.kms.keyId"}},
		{name: "emrfs cse short name", props: []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.encryptionMaterialsProvider", "kms", "fs.s3.cse.kms.keyId", keyB},
			want: Policy{Provider: ProviderCSEKMS, KMSKeyID: keyB, WrapAlg: WrapKMS, StorageMode: StorageObjectMetadata}},
		{name: "emrfs cse class v2 instruction file region", props: []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.encryptionMaterialsProvider", kmsClass,
			"fs.s3.cse.kms.keyId", keyA, "fs.s3.cse.encryptionV2.enabled", "true", "fs.s3.cse.cryptoStorageMode", "InstructionFile", "fs.s3.cse.kms.region", "eu-west-1"},
			want: Policy{Provider: ProviderCSEKMS, KMSKeyID: keyA, KMSRegion: "eu-west-1", WrapAlg: WrapKMSContext, StorageMode: StorageInstructionFile},
			wantSource: map[string]string{"WrapAlg": "fs.s3.cse.encryptionV2.enabled", "StorageMode": "fs.s3.cse.cryptoStorageMode",
				"KMSRegion": "fs.s3.cse.kms.region"}},
		{name: "emrfs cse custom", props: []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.encryptionMaterialsProvider", staticRing,
			"fs.s3.cse.custom.keyring.file", "/etc/ring", "fs.s3.cse.custom.id", "7", "fs.s3.cse.kms.keyId", keyA},
			want: Policy{Provider: ProviderCSECustom, Materials: staticRing, StorageMode: StorageObjectMetadata,
				MaterialsArgs: map[string]string{"keyring.file": "/etc/ring", "id": "7"}},
			wantSource: map[string]string{"Materials": "fs.s3.cse.encryptionMaterialsProvider", "MaterialsArgs.keyring.file": "fs.s3.cse.custom.keyring.file"}},
		{name: "per-bucket cse over base sse", bucket: "logs", props: []string{
			"fs.s3.enableServerSideEncryption", "true",
			"fs.s3.bucket.logs.enableServerSideEncryption", "false",
			"fs.s3.bucket.logs.cse.enabled", "true",
			"fs.s3.bucket.logs.cse.kms.keyId", keyB,
			"fs.s3.cse.kms.keyId", keyA},
			want:       Policy{Provider: ProviderCSEKMS, KMSKeyID: keyB, WrapAlg: WrapKMS, StorageMode: StorageObjectMetadata},
			wantSource: map[string]string{"Provider": "fs.s3.bucket.logs.cse.enabled", "KMSKeyID": "fs.s3.bucket.logs.cse.kms.keyId"}},
		{name: "per-bucket other bucket keeps base", bucket: "other", props: []string{
			"fs.s3.enableServerSideEncryption", "true",
			"fs.s3.bucket.logs.enableServerSideEncryption", "false",
			"fs.s3.bucket.logs.cse.enabled", "true"},
			want: Policy{Provider: ProviderSSES3}},
		{name: "dotted bucket s3a cse-kms", bucket: "my.bucket", props: []string{
			"fs.s3a.bucket.my.bucket.encryption.algorithm", "CSE-KMS",
			"fs.s3a.bucket.my.bucket.encryption.key", keyA,
			"fs.s3a.bucket.my.bucket.encryption.cse.kms.region", "us-west-2"},
			want: Policy{Provider: ProviderCSEKMS, KMSKeyID: keyA, KMSRegion: "us-west-2", WrapAlg: WrapKMSContext, StorageMode: StorageObjectMetadata},
			wantSource: map[string]string{"Provider": "fs.s3a.bucket.my.bucket.encryption.algorithm",
				"KMSKeyID": "fs.s3a.bucket.my.bucket.encryption.key"}},
		{name: "dotted bucket suffix is another bucket", bucket: "bucket", props: []string{
			"fs.s3a.bucket.my.bucket.encryption.algorithm", "CSE-KMS",
			"fs.s3a.bucket.my.bucket.encryption.key", keyA},
			want: Policy{Provider: ProviderPlain}},
		{name: "s3a sse-s3", props: []string{"fs.s3a.encryption.algorithm", "SSE-S3"}, want: Policy{Provider: ProviderSSES3}},
		{name: "s3a AES256", props: []string{"fs.s3a.encryption.algorithm", "AES256"}, want: Policy{Provider: ProviderSSES3}},
		{name: "s3a sse-kms managed", props: []string{"fs.s3a.encryption.algorithm", "SSE-KMS"}, want: Policy{Provider: ProviderSSEKMS}},
		{name: "s3a sse-kms lower case with key", props: []string{"fs.s3a.encryption.algorithm", " sse-kms ", "fs.s3a.encryption.key", keyB},
			want: Policy{Provider: ProviderSSEKMS, KMSKeyID: keyB}},
		{name: "s3a deprecated names", props: []string{"fs.s3a.server-side-encryption-algorithm", "SSE-KMS", "fs.s3a.server-side-encryption.key", keyB},
			want:       Policy{Provider: ProviderSSEKMS, KMSKeyID: keyB},
			wantSource: map[string]string{"Provider": "fs.s3a.server-side-encryption-algorithm", "KMSKeyID": "fs.s3a.server-side-encryption.key"}},
		{name: "s3a new name beats deprecated", props: []string{"fs.s3a.server-side-encryption-algorithm", "SSE-KMS", "fs.s3a.encryption.algorithm", "AES256"},
			want: Policy{Provider: ProviderSSES3}},
		{name: "s3a per-bucket deprecated beats base", bucket: "b1", props: []string{"fs.s3a.encryption.algorithm", "AES256",
			"fs.s3a.bucket.b1.server-side-encryption-algorithm", "SSE-KMS"},
			want: Policy{Provider: ProviderSSEKMS}},
		{name: "s3a cse-custom", props: []string{"fs.s3a.encryption.algorithm", "CSE-CUSTOM",
			"fs.s3a.encryption.cse.custom.keyring.class.name", staticRing, "fs.s3.cse.custom.keyring.file", "/r"},
			want: Policy{Provider: ProviderCSECustom, Materials: staticRing, StorageMode: StorageObjectMetadata,
				MaterialsArgs: map[string]string{"keyring.file": "/r"}}},
		{name: "per-bucket custom args", bucket: "b2", props: []string{"fs.s3.cse.enabled", "true",
			"fs.s3.cse.encryptionMaterialsProvider", staticRing, "fs.s3.cse.custom.keyring.file", "/base", "fs.s3.cse.custom.x", "1",
			"fs.s3.bucket.b2.cse.custom.keyring.file", "/b2"},
			want: Policy{Provider: ProviderCSECustom, Materials: staticRing, StorageMode: StorageObjectMetadata,
				MaterialsArgs: map[string]string{"keyring.file": "/b2", "x": "1"}},
			wantSource: map[string]string{"MaterialsArgs.keyring.file": "fs.s3.bucket.b2.cse.custom.keyring.file"}},
		{name: "emrfs and s3a agree on cse-kms", props: []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", keyA,
			"fs.s3a.encryption.algorithm", "CSE-KMS", "fs.s3a.encryption.key", keyA, "fs.s3a.encryption.cse.kms.region", "us-east-1"},
			want:       Policy{Provider: ProviderCSEKMS, KMSKeyID: keyA, KMSRegion: "us-east-1", WrapAlg: WrapKMS, StorageMode: StorageObjectMetadata},
			wantSource: map[string]string{"Provider": "fs.s3.cse.enabled", "KMSRegion": "fs.s3a.encryption.cse.kms.region"}},
		{name: "emrfs and s3a agree on sse-kms", props: []string{"fs.s3.enableServerSideEncryption", "true", "fs.s3.serverSideEncryption.kms.keyId", keyB,
			"fs.s3a.encryption.algorithm", "SSE-KMS", "fs.s3a.encryption.key", keyB},
			want: Policy{Provider: ProviderSSEKMS, KMSKeyID: keyB}},
		{name: "variables expand", props: []string{"my.key", keyA, "fs.s3a.encryption.algorithm", "CSE-KMS", "fs.s3a.encryption.key", "${my.key}"},
			want: Policy{Provider: ProviderCSEKMS, KMSKeyID: keyA, WrapAlg: WrapKMSContext, StorageMode: StorageObjectMetadata}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := writeSite(t, tt.props...)
			o := load(t, []string{f}, nil)
			got, err := o.Policy(tt.bucket)
			if err != nil {
				t.Fatalf("Policy(%q): %v", tt.bucket, err)
			}
			src := got.Source
			got.Source = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Policy(%q) =\n %+v\nwant %+v", tt.bucket, got, tt.want)
			}
			for field, prop := range tt.wantSource {
				if e := src[field]; e.Name != prop || e.File != f {
					t.Errorf("Source[%s] = %s in %s, want %s in %s", field, e.Name, e.File, prop, f)
				}
			}
		})
	}
}

func TestPolicyRefusals(t *testing.T) {
	tests := []struct {
		name   string
		props  []string
		bucket string
		class  error
		prop   string // the property the error must name
	}{
		{"emrfs sse and cse", []string{"fs.s3.enableServerSideEncryption", "true", "fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", keyA},
			"", ErrConflict, "fs.s3.cse.enabled"},
		{"per-bucket cse over base sse", []string{"fs.s3.enableServerSideEncryption", "true", "fs.s3.bucket.logs.cse.enabled", "true", "fs.s3.cse.kms.keyId", keyA},
			"logs", ErrConflict, "fs.s3.bucket.logs.cse.enabled"},
		{"emrfs sse vs s3a cse", []string{"fs.s3.enableServerSideEncryption", "true", "fs.s3a.encryption.algorithm", "CSE-KMS", "fs.s3a.encryption.key", keyA},
			"", ErrConflict, "fs.s3a.encryption.algorithm"},
		{"emrfs cse vs s3a sse", []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", keyA, "fs.s3a.bucket.data.encryption.algorithm", "SSE-KMS"},
			"data", ErrConflict, "fs.s3a.bucket.data.encryption.algorithm"},
		{"emrfs sse-kms vs s3a sse-s3", []string{"fs.s3.enableServerSideEncryption", "true", "fs.s3.serverSideEncryption.kms.keyId", keyA, "fs.s3a.encryption.algorithm", "SSE-S3"},
			"", ErrConflict, "fs.s3a.encryption.algorithm"},
		{"cse keys disagree", []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", keyA, "fs.s3a.encryption.algorithm", "CSE-KMS", "fs.s3a.encryption.key", keyB},
			"", ErrConflict, "fs.s3a.encryption.key"},
		{"sse-kms keys disagree", []string{"fs.s3.enableServerSideEncryption", "true", "fs.s3.serverSideEncryption.kms.keyId", keyA, "fs.s3a.encryption.algorithm", "SSE-KMS"},
			"", ErrConflict, "fs.s3a.encryption.algorithm"},
		{"regions disagree", []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", keyA, "fs.s3.cse.kms.region", "eu-west-1",
			"fs.s3a.encryption.algorithm", "CSE-KMS", "fs.s3a.encryption.key", keyA, "fs.s3a.encryption.cse.kms.region", "us-east-1"},
			"", ErrConflict, "fs.s3a.encryption.cse.kms.region"},
		{"materials disagree", []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.encryptionMaterialsProvider", "one",
			"fs.s3a.encryption.algorithm", "CSE-CUSTOM", "fs.s3a.encryption.cse.custom.keyring.class.name", "two"},
			"", ErrConflict, "fs.s3a.encryption.cse.custom.keyring.class.name"},
		{"unknown s3a algorithm", []string{"fs.s3a.encryption.algorithm", "AES128"}, "", ErrUnknownAlgorithm, "fs.s3a.encryption.algorithm"},
		{"unknown per-bucket algorithm", []string{"fs.s3a.bucket.my.bucket.encryption.algorithm", "ROT13"}, "my.bucket", ErrUnknownAlgorithm,
			"fs.s3a.bucket.my.bucket.encryption.algorithm"},
		{"unknown storage mode", []string{"fs.s3.cse.cryptoStorageMode", "Sideways"}, "", ErrUnknownAlgorithm, "fs.s3.cse.cryptoStorageMode"},
		{"sse-c", []string{"fs.s3a.encryption.algorithm", "SSE-C", "fs.s3a.encryption.key", "base64key"}, "", ErrNotSupported, "fs.s3a.encryption.algorithm"},
		{"dsse-kms", []string{"fs.s3a.encryption.algorithm", "DSSE-KMS"}, "", ErrNotSupported, "fs.s3a.encryption.algorithm"},
		{"emrfs cse aws/s3", []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", "alias/aws/s3"}, "", ErrAWSManagedKey, "fs.s3.cse.kms.keyId"},
		{"emrfs cse aws/s3 arn", []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", "arn:aws:kms:us-east-1:111122223333:alias/aws/s3"},
			"", ErrAWSManagedKey, "fs.s3.cse.kms.keyId"},
		{"per-bucket cse aws/s3", []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", keyA, "fs.s3.bucket.logs.cse.kms.keyId", "alias/aws/s3"},
			"logs", ErrAWSManagedKey, "fs.s3.bucket.logs.cse.kms.keyId"},
		{"s3a cse aws/s3", []string{"fs.s3a.encryption.algorithm", "CSE-KMS", "fs.s3a.encryption.key", "alias/aws/s3"}, "", ErrAWSManagedKey, "fs.s3a.encryption.key"},
		{"emrfs cse no key", []string{"fs.s3.cse.enabled", "true"}, "", ErrKeyRequired, "fs.s3.cse.enabled"},
		{"emrfs cse blank key", []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", "  "}, "", ErrKeyRequired, "fs.s3.cse.enabled"},
		{"s3a cse no key", []string{"fs.s3a.encryption.algorithm", "CSE-KMS"}, "", ErrKeyRequired, "fs.s3a.encryption.algorithm"},
		{"s3a cse-custom no name", []string{"fs.s3a.encryption.algorithm", "CSE-CUSTOM"}, "", ErrUnknownMaterials, "fs.s3a.encryption.algorithm"},
		{"malformed cse.enabled", []string{"fs.s3.cse.enabled", "yes"}, "", ErrInvalid, "fs.s3.cse.enabled"},
		{"malformed sse flag per bucket", []string{"fs.s3.bucket.b1.enableServerSideEncryption", "maybe"}, "b1", ErrInvalid, "fs.s3.bucket.b1.enableServerSideEncryption"},
		{"malformed v2 flag", []string{"fs.s3.cse.encryptionV2.enabled", "1"}, "", ErrInvalid, "fs.s3.cse.encryptionV2.enabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := writeSite(t, tt.props...)
			o := load(t, []string{f}, nil)
			_, err := o.Policy(tt.bucket)
			wantConfErr(t, err, tt.class, f, tt.prop)
		})
	}
}

// TestPolicyAcrossFiles checks that a disagreement names each property in
// the file that set it.
func TestPolicyAcrossFiles(t *testing.T) {
	emrfs := writeSite(t, "fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", keyA)
	core := writeSite(t, "fs.s3a.encryption.algorithm", "CSE-KMS", "fs.s3a.encryption.key", keyB)
	o := load(t, []string{core, emrfs}, nil)
	_, err := o.Policy("")
	wantConfErr(t, err, ErrConflict, core, "fs.s3a.encryption.key")
	if err != nil && !strings.Contains(err.Error(), "fs.s3.cse.kms.keyId="+keyA+" ("+emrfs+":4)") {
		t.Errorf("Error() = %q does not name the EMRFS property and its file", err)
	}
}
