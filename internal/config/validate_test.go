package config

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/emrfsd/emrfsd/internal/hadoopconf"
)

var errNotFound = errors.New("NotFoundException: alias not found")

// fakeKeys is an in-memory KeyDescriber that records its calls.
type fakeKeys struct {
	mu    sync.Mutex
	keys  map[string]KeyInfo
	calls []string
}

func (f *fakeKeys) DescribeKey(ctx context.Context, id string) (KeyInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, id)
	if err := ctx.Err(); err != nil {
		return KeyInfo{}, err
	}
	k, ok := f.keys[id]
	if !ok {
		return KeyInfo{}, fmt.Errorf("describe %s: %w", id, errNotFound)
	}
	return k, nil
}

func goodKey(arn string) KeyInfo {
	return KeyInfo{ARN: arn, KeySpec: "SYMMETRIC_DEFAULT", KeyUsage: "ENCRYPT_DECRYPT", State: "Enabled"}
}

func newFakeKeys() *fakeKeys {
	bad := func(mod func(*KeyInfo)) KeyInfo {
		k := goodKey("arn:aws:kms:us-east-1:111122223333:key/bad")
		mod(&k)
		return k
	}
	return &fakeKeys{keys: map[string]KeyInfo{
		"alias/good":    goodKey("arn:aws:kms:us-east-1:111122223333:key/good"),
		keyA:            goodKey(keyA),
		"alias/local":   goodKey("arn:aws:kms:us-east-1:111122223333:key/local"),
		"alias/rsa":     bad(func(k *KeyInfo) { k.KeySpec = "RSA_2048" }),
		"alias/signing": bad(func(k *KeyInfo) { k.KeyUsage = "SIGN_VERIFY" }),
		"alias/off":     bad(func(k *KeyInfo) { k.State = "Disabled" }),
		"alias/dying":   bad(func(k *KeyInfo) { k.State = "PendingDeletion" }),
		"alias/aws/ebs": bad(func(k *KeyInfo) { k.AWSManaged = true }),
		"managed-uuid":  bad(func(k *KeyInfo) { k.AWSManaged = true }),
	}}
}

func TestValidateAccepts(t *testing.T) {
	f := writeSite(t,
		"emrfsd.buckets", "warehouse=wh-bucket,plain-bucket",
		"fs.s3.cse.enabled", "true",
		"fs.s3.cse.kms.keyId", "alias/good",
		"fs.s3.bucket.wh-bucket.cse.kms.keyId", keyA,
		"fs.s3a.bucket.my.custom.bucket.encryption.algorithm", "CSE-CUSTOM",
		"fs.s3.bucket.my.custom.bucket.cse.enabled", "false",
		"fs.s3a.bucket.my.custom.bucket.encryption.cse.custom.keyring.class.name", staticRing,
		"fs.s3.bucket.sse.bucket.cse.enabled", "false",
		"fs.s3a.bucket.sse.bucket.encryption.algorithm", "SSE-KMS",
		"fs.s3a.bucket.sse.bucket.encryption.key", "alias/aws/s3",
		"emrfsd.local.encryption.kms.keyId", "alias/local",
	)
	o := load(t, []string{f}, nil)
	keys := newFakeKeys()
	if err := o.Validate(context.Background(), keys, []string{"other", staticRing}); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	// Each CSE-KMS key and the local key described once; the SSE-KMS key
	// (alias/aws/s3, legal for SSE) never.
	got := slices.Clone(keys.calls)
	slices.Sort(got)
	if want := []string{"alias/good", "alias/local", keyA}; !slices.Equal(got, want) {
		t.Errorf("DescribeKey calls = %q, want %q", got, want)
	}
	for id, want := range map[string]string{
		"alias/good":  "arn:aws:kms:us-east-1:111122223333:key/good",
		keyA:          keyA,
		"alias/local": "arn:aws:kms:us-east-1:111122223333:key/local",
		"alias/none":  "",
	} {
		if arn := o.KeyARN(id); arn != want {
			t.Errorf("KeyARN(%q) = %q, want %q", id, arn, want)
		}
	}
	p, err := o.Policy("sse.bucket")
	if err != nil || p.Provider != ProviderSSEKMS || p.KMSKeyID != "alias/aws/s3" {
		t.Errorf("Policy(sse.bucket) = %+v, %v", p, err)
	}
}

func TestValidateRefusals(t *testing.T) {
	tests := []struct {
		name  string
		props []string
		class error
		prop  string
	}{
		{"missing alias", []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", "alias/missing"}, ErrKeyRefused, "fs.s3.cse.kms.keyId"},
		{"rsa key", []string{"fs.s3a.encryption.algorithm", "CSE-KMS", "fs.s3a.encryption.key", "alias/rsa"}, ErrKeyRefused, "fs.s3a.encryption.key"},
		{"signing key", []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", "alias/signing"}, ErrKeyRefused, "fs.s3.cse.kms.keyId"},
		{"disabled key", []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", "alias/off"}, ErrKeyRefused, "fs.s3.cse.kms.keyId"},
		{"pending deletion", []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", "alias/dying"}, ErrKeyRefused, "fs.s3.cse.kms.keyId"},
		{"aws managed by id", []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", "managed-uuid"}, ErrKeyRefused, "fs.s3.cse.kms.keyId"},
		{"aws managed alias", []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", "alias/aws/ebs"}, ErrAWSManagedKey, "fs.s3.cse.kms.keyId"},
		{"local key missing", []string{"emrfsd.local.encryption.kms.keyId", "alias/missing"}, ErrKeyRefused, "emrfsd.local.encryption.kms.keyId"},
		{"local key rsa", []string{"emrfsd.local.encryption.kms.keyId", "alias/rsa"}, ErrKeyRefused, "emrfsd.local.encryption.kms.keyId"},
		{"per-bucket key disabled", []string{"fs.s3.bucket.logs.cse.enabled", "true", "fs.s3.bucket.logs.cse.kms.keyId", "alias/off"},
			ErrKeyRefused, "fs.s3.bucket.logs.cse.kms.keyId"},
		{"dotted bucket key missing", []string{"fs.s3a.bucket.a.b.c.encryption.algorithm", "CSE-KMS", "fs.s3a.bucket.a.b.c.encryption.key", "alias/missing"},
			ErrKeyRefused, "fs.s3a.bucket.a.b.c.encryption.key"},
		{"unknown materials", []string{"fs.s3.cse.enabled", "true", "fs.s3.cse.encryptionMaterialsProvider", "com.example.MyProvider"},
			ErrUnknownMaterials, "fs.s3.cse.encryptionMaterialsProvider"},
		{"unknown materials s3a per bucket", []string{"fs.s3a.bucket.bk9.encryption.algorithm", "CSE-CUSTOM",
			"fs.s3a.bucket.bk9.encryption.cse.custom.keyring.class.name", "nope"}, ErrUnknownMaterials,
			"fs.s3a.bucket.bk9.encryption.cse.custom.keyring.class.name"},
		{"policy error of listed bucket", []string{"emrfsd.buckets", "listed", "fs.s3.bucket.listed.cse.enabled", "true"},
			ErrKeyRequired, "fs.s3.bucket.listed.cse.enabled"},
		{"policy error of default", []string{"fs.s3a.encryption.algorithm", "SSE-C"}, ErrNotSupported, "fs.s3a.encryption.algorithm"},
		{"bad bucket name in property", []string{"fs.s3.bucket.Bad_Name.cse.enabled", "false"}, ErrInvalid, "fs.s3.bucket.Bad_Name.cse.enabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := writeSite(t, tt.props...)
			o := load(t, []string{f}, nil)
			err := o.Validate(context.Background(), newFakeKeys(), []string{staticRing})
			wantConfErr(t, err, tt.class, f, tt.prop)
		})
	}
}

func TestValidateJoinsAndDedupes(t *testing.T) {
	f := writeSite(t,
		"emrfsd.buckets", "bk1,bk2,bk3",
		"fs.s3a.encryption.algorithm", "SSE-C", // base error: reported once, not per bucket
		"fs.s3a.bucket.bk2.encryption.algorithm", "CSE-KMS",
		"fs.s3a.bucket.bk2.encryption.key", "alias/rsa",
		"fs.s3a.bucket.bk3.encryption.algorithm", "", // empty override: no S3A encryption for bk3
		"fs.s3.bucket.bk3.cse.enabled", "true",
		"fs.s3.bucket.bk3.cse.kms.keyId", "alias/off",
		"emrfsd.local.encryption.kms.keyId", "alias/missing",
	)
	o := load(t, []string{f}, nil)
	err := o.Validate(context.Background(), newFakeKeys(), nil)
	leaves := flatten(err)
	wantConfErr(t, err, ErrNotSupported, f, "fs.s3a.encryption.algorithm")
	wantConfErr(t, err, ErrKeyRefused, f, "fs.s3a.bucket.bk2.encryption.key")
	wantConfErr(t, err, ErrKeyRefused, f, "fs.s3.bucket.bk3.cse.kms.keyId")
	wantConfErr(t, err, ErrKeyRefused, f, "emrfsd.local.encryption.kms.keyId")
	// The default and bk1 share the SSE-C error; bk2 and bk3 override it.
	if len(leaves) != 4 {
		t.Errorf("got %d errors, want 4 (SSE-C once, bk2 key, bk3 key, local key):\n%v", len(leaves), err)
	}
	// The DescribeKey failure stays reachable.
	if !errors.Is(err, errNotFound) {
		t.Errorf("DescribeKey's error is not wrapped: %v", err)
	}
}

func TestValidateWithoutKeyDescriber(t *testing.T) {
	f := writeSite(t, "fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", "alias/good")
	o := load(t, []string{f}, nil)
	wantConfErr(t, o.Validate(context.Background(), nil, nil), ErrKeyRefused, f, "fs.s3.cse.kms.keyId")
	// Nothing to describe: no describer needed.
	o = load(t, nil, nil)
	if err := o.Validate(context.Background(), nil, nil); err != nil {
		t.Errorf("empty config: %v", err)
	}
}

func TestValidateCancelled(t *testing.T) {
	f := writeSite(t, "fs.s3.cse.enabled", "true", "fs.s3.cse.kms.keyId", "alias/good")
	o := load(t, []string{f}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := o.Validate(ctx, newFakeKeys(), nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	var ce *hadoopconf.Error
	if !errors.As(err, &ce) || ce.Property != "fs.s3.cse.kms.keyId" {
		t.Errorf("err = %v, want it to name fs.s3.cse.kms.keyId", err)
	}
}
