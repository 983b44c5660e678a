package kms

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The AWS SDK decodes a KMS answer through a generic document: the
// base64 plaintext data key of GenerateDataKey and Decrypt becomes an
// immutable Go string (and sits in the JSON decoder's buffer) that nothing
// can zero and that stays in the heap until the garbage collector reuses
// its memory. The fault tier's core dump found such base64 copies of data
// keys long after their files were written.
//
// scrubDeserializer replaces the SDK's deserializer for the successful
// answers of those two operations: the body is read into one buffer this
// package owns, decoded straight into the output's []byte fields
// (encoding/json decodes base64 from the buffer without an intermediate
// string), and the buffer is zeroed. Error answers and every other
// operation go through the SDK's own deserializer.
//
// What remains is outside any package's reach: the HTTP transport's
// per-connection read buffer (overwritten by the connection's next
// answer) and, over TLS, crypto/tls's record buffers.
type scrubDeserializer struct {
	op  string
	sdk middleware.DeserializeMiddleware
}

const maxKMSAnswer = 1 << 20

func (*scrubDeserializer) ID() string { return "OperationDeserializer" }

// replay hands the SDK's deserializer a response already received.
type replay struct {
	out middleware.DeserializeOutput
	md  middleware.Metadata
	err error
}

func (r replay) HandleDeserialize(context.Context, middleware.DeserializeInput) (middleware.DeserializeOutput, middleware.Metadata, error) {
	return r.out, r.md, r.err
}

func (m *scrubDeserializer) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleDeserialize(ctx, in)
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if err != nil || !ok || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return m.sdk.HandleDeserialize(ctx, in, replay{out, md, err})
	}
	defer resp.Body.Close()
	buf, err := readOwned(resp.Body, resp.ContentLength)
	defer clear(buf)
	if err != nil {
		return out, md, &smithy.DeserializationError{Err: err}
	}
	switch m.op {
	case "GenerateDataKey":
		var v struct {
			CiphertextBlob []byte
			Plaintext      []byte
			KeyId          *string
			KeyMaterialId  *string
		}
		if err := json.Unmarshal(buf, &v); err != nil {
			clear(v.Plaintext)
			return out, md, &smithy.DeserializationError{Err: fmt.Errorf("GenerateDataKey answer: %w", err)}
		}
		out.Result = &awskms.GenerateDataKeyOutput{CiphertextBlob: v.CiphertextBlob, Plaintext: v.Plaintext, KeyId: v.KeyId, KeyMaterialId: v.KeyMaterialId}
	case "Decrypt":
		var v struct {
			Plaintext           []byte
			KeyId               *string
			KeyMaterialId       *string
			EncryptionAlgorithm string
		}
		if err := json.Unmarshal(buf, &v); err != nil {
			clear(v.Plaintext)
			return out, md, &smithy.DeserializationError{Err: fmt.Errorf("Decrypt answer: %w", err)}
		}
		out.Result = &awskms.DecryptOutput{Plaintext: v.Plaintext, KeyId: v.KeyId, KeyMaterialId: v.KeyMaterialId,
			EncryptionAlgorithm: kmstypes.EncryptionAlgorithmSpec(v.EncryptionAlgorithm)}
	default:
		return out, md, &smithy.DeserializationError{Err: fmt.Errorf("scrubbing deserializer installed for %s", m.op)}
	}
	return out, md, nil
}

// readOwned reads a whole body into one buffer, sized from its length when
// known; when it must grow, the outgrown buffer is zeroed.
func readOwned(r io.Reader, n int64) ([]byte, error) {
	if n > maxKMSAnswer {
		return nil, fmt.Errorf("KMS answer of %d bytes", n)
	}
	size := int64(4096)
	if n >= 0 {
		size = n
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			if n >= 0 {
				// Known length reached: anything more is an error.
				var one [1]byte
				if k, _ := r.Read(one[:]); k > 0 {
					return buf, fmt.Errorf("KMS answer longer than its Content-Length")
				}
				return buf, nil
			}
			if len(buf) >= maxKMSAnswer {
				return buf, fmt.Errorf("KMS answer over %d bytes", maxKMSAnswer)
			}
			bigger := make([]byte, len(buf), 2*cap(buf))
			copy(bigger, buf)
			clear(buf)
			buf = bigger
		}
		k, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if err == io.EOF {
			if n >= 0 && int64(len(buf)) != n {
				return buf, io.ErrUnexpectedEOF
			}
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// scrubAnswers installs scrubDeserializer on GenerateDataKey and Decrypt.
func scrubAnswers(stack *middleware.Stack) error {
	switch op := stack.ID(); op {
	case "GenerateDataKey", "Decrypt":
		m := &scrubDeserializer{op: op}
		old, err := stack.Deserialize.Swap("OperationDeserializer", m)
		if err != nil {
			return err
		}
		m.sdk = old
	}
	return nil
}
