package kms

import (
	"context"
	"encoding/json"
)

// DataKeySize is the size of every data key handed out (AES-256).
const DataKeySize = 32

// Key facts reported by DescribeKey, using the AWS KMS spellings.
const (
	KeySpecSymmetricDefault = "SYMMETRIC_DEFAULT"
	KeyUsageEncryptDecrypt  = "ENCRYPT_DECRYPT"
	KeyStateEnabled         = "Enabled"
	KeyStateDisabled        = "Disabled"
)

// KeyInfo describes a KMS key. It mirrors config.KeyInfo field for field so
// cmd/emrfsd can convert between them without this package importing config.
type KeyInfo struct {
	ARN        string
	KeySpec    string // e.g. SYMMETRIC_DEFAULT, RSA_2048
	KeyUsage   string // e.g. ENCRYPT_DECRYPT
	State      string // e.g. Enabled, Disabled, PendingDeletion
	AWSManaged bool   // KeyManager == AWS (alias aws/s3 and friends)
}

// Service is what every implementation in this tree offers. keyID may be a
// key id, key ARN, alias name ("alias/x") or alias ARN. Decrypt accepts ""
// for keyID: the service then takes the key from the blob.
type Service interface {
	GenerateDataKey(ctx context.Context, keyID string, encCtx map[string]string) (plaintext, wrapped []byte, err error)
	Decrypt(ctx context.Context, keyID string, wrapped []byte, encCtx map[string]string) (plaintext []byte, err error)
	DescribeKey(ctx context.Context, keyID string) (KeyInfo, error)
}

// ARNDecrypter is implemented by services that can say which key decrypted
// a blob (AWS returns it in the Decrypt response). The audit decorator uses
// it to log the key ARN of Decrypt calls made without a key id.
type ARNDecrypter interface {
	DecryptARN(ctx context.Context, keyID string, wrapped []byte, encCtx map[string]string) (plaintext []byte, keyARN string, err error)
}

// CanonicalContext returns the canonical serialisation of an encryption
// context: a JSON object with keys sorted (encoding/json sorts map keys).
// A nil and an empty context both give "{}", as in AWS KMS, where an empty
// context is the same as none.
func CanonicalContext(encCtx map[string]string) []byte {
	if len(encCtx) == 0 {
		return []byte("{}")
	}
	b, err := json.Marshal(encCtx)
	if err != nil {
		// map[string]string always marshals; keep a defined value anyway.
		return []byte("{}")
	}
	return b
}

type objectKey struct{}

type object struct{ bucket, key string }

// WithObject returns a context that names the S3 object a KMS call is made
// for; the audit decorator records it.
func WithObject(ctx context.Context, bucket, key string) context.Context {
	return context.WithValue(ctx, objectKey{}, object{bucket: bucket, key: key})
}

// ObjectFrom returns the bucket and key set by WithObject ("" when none).
func ObjectFrom(ctx context.Context) (bucket, key string) {
	o, _ := ctx.Value(objectKey{}).(object)
	return o.bucket, o.key
}
