package kms

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/emrfsd/emrfsd/internal/errs"
)

// awsAPI is the part of *kms.Client (aws-sdk-go-v2) the adapter uses.
type awsAPI interface {
	GenerateDataKey(ctx context.Context, in *awskms.GenerateDataKeyInput, optFns ...func(*awskms.Options)) (*awskms.GenerateDataKeyOutput, error)
	Decrypt(ctx context.Context, in *awskms.DecryptInput, optFns ...func(*awskms.Options)) (*awskms.DecryptOutput, error)
	DescribeKey(ctx context.Context, in *awskms.DescribeKeyInput, optFns ...func(*awskms.Options)) (*awskms.DescribeKeyOutput, error)
}

// AWS adapts an AWS KMS client (or anything speaking its API, such as
// local-kms) to Service. Errors are *Error values classified into
// errs.ErrKeyMismatch / errs.ErrKeyUnavailable, with the SDK error
// still reachable through errors.As.
type AWS struct {
	c awsAPI
}

// NewAWS returns an adapter over c, normally a *kms.Client.
func NewAWS(c awsAPI) *AWS { return &AWS{c: c} }

var (
	_ Service      = (*AWS)(nil)
	_ ARNDecrypter = (*AWS)(nil)
)

func contextOrNil(encCtx map[string]string) map[string]string {
	if len(encCtx) == 0 {
		return nil
	}
	return encCtx
}

// GenerateDataKey asks KMS for a fresh AES-256 data key under keyID, bound
// to encCtx. The caller owns (and must zero) plaintext.
func (a *AWS) GenerateDataKey(ctx context.Context, keyID string, encCtx map[string]string) ([]byte, []byte, error) {
	const op = "GenerateDataKey"
	if keyID == "" {
		return nil, nil, &Error{Op: op, Kind: errs.ErrKeyUnavailable, Err: fmt.Errorf("no key id given")}
	}
	out, err := a.c.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{
		KeyId:             aws.String(keyID),
		KeySpec:           kmstypes.DataKeySpecAes256,
		EncryptionContext: contextOrNil(encCtx),
	})
	if err != nil {
		return nil, nil, classifyCall(ctx, op, err)
	}
	if len(out.Plaintext) != DataKeySize || len(out.CiphertextBlob) == 0 {
		clear(out.Plaintext)
		return nil, nil, &Error{Op: op, Err: fmt.Errorf("service returned a %d-byte data key and a %d-byte blob, want %d and more than 0",
			len(out.Plaintext), len(out.CiphertextBlob), DataKeySize)}
	}
	return out.Plaintext, out.CiphertextBlob, nil
}

// Decrypt unwraps a blob made by GenerateDataKey with the same encCtx.
func (a *AWS) Decrypt(ctx context.Context, keyID string, wrapped []byte, encCtx map[string]string) ([]byte, error) {
	pt, _, err := a.DecryptARN(ctx, keyID, wrapped, encCtx)
	return pt, err
}

// DecryptARN is Decrypt that also returns the ARN of the key KMS used.
func (a *AWS) DecryptARN(ctx context.Context, keyID string, wrapped []byte, encCtx map[string]string) ([]byte, string, error) {
	const op = "Decrypt"
	if len(wrapped) == 0 {
		return nil, "", &Error{Op: op, Kind: errs.ErrKeyMismatch, Err: fmt.Errorf("empty wrapped key")}
	}
	in := &awskms.DecryptInput{CiphertextBlob: wrapped, EncryptionContext: contextOrNil(encCtx)}
	if keyID != "" {
		in.KeyId = aws.String(keyID)
	}
	out, err := a.c.Decrypt(ctx, in)
	if err != nil {
		return nil, "", classifyCall(ctx, op, err)
	}
	return out.Plaintext, aws.ToString(out.KeyId), nil
}

// DescribeKey reports the key's ARN, spec, usage, state and manager.
func (a *AWS) DescribeKey(ctx context.Context, keyID string) (KeyInfo, error) {
	const op = "DescribeKey"
	if keyID == "" {
		return KeyInfo{}, &Error{Op: op, Kind: errs.ErrKeyUnavailable, Err: fmt.Errorf("no key id given")}
	}
	out, err := a.c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		return KeyInfo{}, classifyCall(ctx, op, err)
	}
	m := out.KeyMetadata
	if m == nil {
		return KeyInfo{}, &Error{Op: op, Err: fmt.Errorf("response has no key metadata")}
	}
	return KeyInfo{
		ARN:        aws.ToString(m.Arn),
		KeySpec:    string(m.KeySpec),
		KeyUsage:   string(m.KeyUsage),
		State:      string(m.KeyState),
		AWSManaged: m.KeyManager == kmstypes.KeyManagerTypeAws,
	}, nil
}

// classifyCall is classifyAWS for a call made under ctx. When the KMS
// client's own attempt timeout (emrfsd.kms.timeout) ended the call while
// ctx was still live, the error must not read as the caller's deadline:
// callers return context errors bare (dropping "kms" and the operation from
// what the HDFS client is told) and treat them as the client's own timeout.
func classifyCall(ctx context.Context, op string, err error) error {
	e := classifyAWS(op, err)
	if ke, ok := e.(*Error); ok && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		ke.Err = &attemptTimeout{msg: err.Error()}
	}
	return e
}

// attemptTimeout is a KMS call that ran out of attempts that each timed
// out. It is a timeout (net.Error) but not context.DeadlineExceeded.
type attemptTimeout struct{ msg string }

func (t *attemptTimeout) Error() string   { return "KMS did not answer in time: " + t.msg }
func (t *attemptTimeout) Timeout() bool   { return true }
func (t *attemptTimeout) Temporary() bool { return true }
