package kms

import (
	"context"
	"errors"
	"testing"

	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/emrfsd/emrfsd/internal/errs"
)

// decryptAPI answers every Decrypt with err and records the key id asked for.
type decryptAPI struct {
	awsAPI
	err   error
	keyID string
}

func (d *decryptAPI) Decrypt(_ context.Context, in *awskms.DecryptInput, _ ...func(*awskms.Options)) (*awskms.DecryptOutput, error) {
	if in.KeyId != nil {
		d.keyID = *in.KeyId
	}
	return nil, d.err
}

// TestWrongKeyIsMismatch: AWS answers a Decrypt naming the wrong key with
// IncorrectKeyException, local-kms with InvalidCiphertextException: both
// are errs.ErrKeyMismatch, and the key id is sent as given.
func TestWrongKeyIsMismatch(t *testing.T) {
	for _, e := range []error{
		&kmstypes.IncorrectKeyException{Message: new("The key ID in the request does not identify a KMS key that can perform this operation.")},
		&kmstypes.InvalidCiphertextException{},
	} {
		api := &decryptAPI{err: e}
		_, err := NewAWS(api).Decrypt(context.Background(), "arn:aws:kms:us-east-1:111122223333:key/a", []byte("blob"), nil)
		if !errors.Is(err, errs.ErrKeyMismatch) || errors.Is(err, errs.ErrKeyUnavailable) {
			t.Errorf("%T: %v, want only ErrKeyMismatch", e, err)
		}
		if api.keyID != "arn:aws:kms:us-east-1:111122223333:key/a" {
			t.Errorf("%T: KeyId sent %q", e, api.keyID)
		}
	}
}
