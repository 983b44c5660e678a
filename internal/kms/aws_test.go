package kms_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/internal/kms"
	"github.com/emrfsd/emrfsd/internal/kms/kmstest"
	"github.com/emrfsd/emrfsd/internal/testenv"
)

func localKMSHarness(t *testing.T) kmstest.Harness {
	env := testenv.Get(t)
	c := env.KMSClient()
	return kmstest.Harness{
		KMS: kms.NewAWS(c),
		NewKey: func(t *testing.T) kmstest.KeyRef {
			k := env.NewKMSKey(t, "emrfsd-kmstest")
			return kmstest.KeyRef{ID: k.ID, ARN: k.ARN, Alias: k.Alias}
		},
		Disable: func(t *testing.T, k kmstest.KeyRef) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := c.DisableKey(ctx, &awskms.DisableKeyInput{KeyId: aws.String(k.ID)}); err != nil {
				t.Fatalf("DisableKey: %v", err)
			}
		},
		MissingAlias: "alias/" + testenv.Unique("emrfsd-missing"),
	}
}

// TestAWSAdapterLocalKMS runs the shared suite against the AWS adapter on the
// real local-kms server.
func TestAWSAdapterLocalKMS(t *testing.T) {
	kmstest.Run(t, localKMSHarness)
}

// TestAWSErrorsKeepSDKType checks that classified errors still expose the SDK
// error type and code.
func TestAWSErrorsKeepSDKType(t *testing.T) {
	env := testenv.Get(t)
	a := kms.NewAWS(env.KMSClient())
	key := env.NewKMSKey(t, "emrfsd-kmserr")
	ctx := context.Background()
	_, wrapped, err := a.GenerateDataKey(ctx, key.ARN, map[string]string{"a": "1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Decrypt(ctx, "", wrapped, map[string]string{"a": "2"})
	var ice *kmstypes.InvalidCiphertextException
	if !errors.As(err, &ice) || !errors.Is(err, errs.ErrKeyMismatch) {
		t.Fatalf("err = %v (%T), want ErrKeyMismatch wrapping *InvalidCiphertextException", err, err)
	}
	var ke *kms.Error
	if !errors.As(err, &ke) || ke.Op != "Decrypt" || ke.Code != "InvalidCiphertextException" {
		t.Fatalf("err = %#v, want *kms.Error{Op: Decrypt, Code: InvalidCiphertextException}", ke)
	}
	_, err = a.DescribeKey(ctx, "alias/"+testenv.Unique("emrfsd-nope"))
	var nf *kmstypes.NotFoundException
	if !errors.As(err, &nf) || !errors.Is(err, errs.ErrKeyUnavailable) {
		t.Fatalf("err = %v, want ErrKeyUnavailable wrapping *NotFoundException", err)
	}
	if got := kms.Outcome(err); got != "NotFoundException" {
		t.Fatalf("Outcome = %q, want NotFoundException", got)
	}
}

// TestAWSUnreachable: a key service that cannot be reached is
// ErrKeyUnavailable, not a mismatch.
func TestAWSUnreachable(t *testing.T) {
	env := testenv.Get(t)
	cfg := env.AWSConfig()
	cfg.RetryMaxAttempts = 1
	c := awskms.NewFromConfig(cfg, func(o *awskms.Options) { o.BaseEndpoint = aws.String("http://127.0.0.1:1") })
	_, _, err := kms.NewAWS(c).GenerateDataKey(context.Background(), "alias/x", nil)
	if !errors.Is(err, errs.ErrKeyUnavailable) {
		t.Fatalf("err = %v, want ErrKeyUnavailable", err)
	}
	if got := kms.Outcome(err); got != kms.OutcomeKeyUnavailable {
		t.Fatalf("Outcome = %q, want %q", got, kms.OutcomeKeyUnavailable)
	}
}

// The KMS behaviour suite through the daemon's client options (the
// scrubbing deserializer of GenerateDataKey and Decrypt answers, the
// explicit retryer): every behaviour holds as with the SDK's own.
func TestAWSAdapterClientOptionsLocalKMS(t *testing.T) {
	kmstest.Run(t, func(t *testing.T) kmstest.Harness {
		h := localKMSHarness(t)
		env := testenv.Get(t)
		h.KMS = kms.NewAWS(awskms.NewFromConfig(env.AWSConfig(), kms.ClientOptions(kms.ClientLimits{MaxAttempts: 2, MaxBackoff: time.Second, AttemptTimeout: 5 * time.Second}),
			func(o *awskms.Options) { o.BaseEndpoint = aws.String(env.KMSEndpoint) }))
		return h
	})
}
