package config

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/emrfsd/emrfsd/internal/testenv"
)

// sdkKeys is a test-only KeyDescriber over the AWS SDK (the production
// adapter lives in internal/kms).
type sdkKeys struct{ c *kms.Client }

func (s sdkKeys) DescribeKey(ctx context.Context, keyID string) (KeyInfo, error) {
	out, err := s.c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		return KeyInfo{}, err
	}
	m := out.KeyMetadata
	return KeyInfo{
		ARN:        aws.ToString(m.Arn),
		KeySpec:    string(m.KeySpec),
		KeyUsage:   string(m.KeyUsage),
		State:      string(m.KeyState),
		AWSManaged: m.KeyManager == kmstypes.KeyManagerTypeAws,
	}, nil
}

// TestValidateAgainstLocalKMS checks key refusal against a real KMS
// (local-kms): a symmetric key passes and resolves to its ARN; an RSA key, a
// disabled key and a missing alias are refused, each naming its property.
func TestValidateAgainstLocalKMS(t *testing.T) {
	env := testenv.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := env.KMSClient()

	good := env.NewKMSKey(t, "cfg-good")
	local := env.NewKMSKey(t, "cfg-local")
	off := env.NewKMSKey(t, "cfg-off")
	if _, err := c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(off.ID)}); err != nil {
		t.Fatalf("DisableKey: %v", err)
	}
	rsa, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecRsa2048, KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt})
	if err != nil {
		t.Fatalf("CreateKey RSA_2048: %v", err)
	}
	rsaAlias := "alias/" + testenv.Unique("cfg-rsa")
	if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(rsaAlias), TargetKeyId: rsa.KeyMetadata.KeyId}); err != nil {
		t.Fatalf("CreateAlias: %v", err)
	}
	missing := "alias/" + testenv.Unique("cfg-missing")
	keys := sdkKeys{c}

	t.Run("accepted", func(t *testing.T) {
		f := writeSite(t,
			"fs.s3.cse.enabled", "true",
			"fs.s3.cse.kms.keyId", good.Alias,
			"fs.s3a.bucket.by.arn.bucket.encryption.algorithm", "CSE-KMS",
			"fs.s3.bucket.by.arn.bucket.cse.enabled", "false",
			"fs.s3a.bucket.by.arn.bucket.encryption.key", good.ARN,
			"emrfsd.local.encryption.kms.keyId", local.ID,
		)
		o := load(t, []string{f}, nil)
		if err := o.Validate(ctx, keys, nil); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		for id, want := range map[string]string{good.Alias: good.ARN, good.ARN: good.ARN, local.ID: local.ARN} {
			if got := o.KeyARN(id); got != want {
				t.Errorf("KeyARN(%q) = %q, want %q", id, got, want)
			}
		}
	})

	t.Run("refused", func(t *testing.T) {
		f := writeSite(t,
			"emrfsd.buckets", "rsa-bkt,off-bkt,gone-bkt",
			"fs.s3.cse.enabled", "true",
			"fs.s3.cse.kms.keyId", good.Alias,
			"fs.s3.bucket.rsa-bkt.cse.kms.keyId", rsaAlias,
			"fs.s3.bucket.off-bkt.cse.kms.keyId", off.Alias,
			"fs.s3a.bucket.gone-bkt.encryption.algorithm", "CSE-KMS",
			"fs.s3a.bucket.gone-bkt.encryption.key", missing,
			"fs.s3.bucket.gone-bkt.cse.kms.keyId", missing,
		)
		o := load(t, []string{f}, nil)
		err := o.Validate(ctx, keys, nil)
		t.Logf("Validate: %v", err)
		wantConfErr(t, err, ErrKeyRefused, f, "fs.s3.bucket.rsa-bkt.cse.kms.keyId")
		wantConfErr(t, err, ErrKeyRefused, f, "fs.s3.bucket.off-bkt.cse.kms.keyId")
		wantConfErr(t, err, ErrKeyRefused, f, "fs.s3.bucket.gone-bkt.cse.kms.keyId")
		if n := len(flatten(err)); n != 3 {
			t.Errorf("got %d errors, want 3", n)
		}
		var nf *kmstypes.NotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("the missing alias's NotFoundException is not reachable: %v", err)
		}
		if o.KeyARN(good.Alias) != good.ARN {
			t.Errorf("the good key was not recorded: %q", o.KeyARN(good.Alias))
		}
	})
}
