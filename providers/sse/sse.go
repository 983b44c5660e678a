package sse

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/providers"
)

// Registered names and S3 algorithm values.
const (
	NameS3  = "sse-s3"
	NameKMS = "sse-kms"

	AlgorithmS3  = "AES256"
	AlgorithmKMS = "aws:kms"
)

// Provider asks S3 to encrypt objects and passes bytes through. It is
// immutable after construction and safe for concurrent use.
type Provider struct {
	name string
	sse  providers.SSE
}

// NewS3 returns the SSE-S3 provider (x-amz-server-side-encryption: AES256).
func NewS3() *Provider {
	return &Provider{name: NameS3, sse: providers.SSE{Algorithm: AlgorithmS3}}
}

// NewKMS returns the SSE-KMS provider for keyID (a key id, key ARN, alias
// name or alias ARN, sent exactly as given); "" asks for the AWS-managed key.
func NewKMS(keyID string) *Provider {
	return &Provider{name: NameKMS, sse: providers.SSE{Algorithm: AlgorithmKMS, KMSKeyID: keyID}}
}

// NewKMSWithContext is NewKMS plus an encryption context sent with every
// write and copy. Keys must be non-empty; keys starting with "aws:" are
// reserved for S3 and refused.
func NewKMSWithContext(keyID string, encCtx map[string]string) (*Provider, error) {
	if len(encCtx) == 0 {
		return nil, errors.New("sse: empty encryption context (use NewKMS)")
	}
	for k := range encCtx {
		if k == "" {
			return nil, errors.New("sse: encryption context has an empty key")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, fmt.Errorf("sse: encryption context key %q is reserved for S3", k)
		}
	}
	js, err := json.Marshal(encCtx) // map keys sorted: a stable header value
	if err != nil {
		return nil, fmt.Errorf("sse: encryption context: %w", err)
	}
	p := NewKMS(keyID)
	p.sse.Context = base64.StdEncoding.EncodeToString(js)
	return p, nil
}

// Name implements providers.Provider.
func (p *Provider) Name() string { return p.name }

// SSE implements providers.ServerSideEncrypter.
func (p *Provider) SSE() providers.SSE { return p.sse }

// Encode implements providers.Provider: the Upload carries the SSE request;
// bytes go straight to dst.
func (p *Provider) Encode(ctx context.Context, obj providers.Object, dst io.Writer) (providers.Upload, io.WriteCloser, error) {
	if dst == nil {
		return providers.Upload{}, nil, fmt.Errorf("%s: Encode: nil destination", p.name)
	}
	return providers.Upload{SSE: p.sse}, &passWriter{dst: dst}, nil
}

// Decode implements providers.Provider: S3 decrypts, so the stored range is
// the plaintext range.
func (p *Provider) Decode(ctx context.Context, obj providers.Object, h providers.Head, src providers.Source, off, n int64) (io.ReadCloser, error) {
	if off < 0 || off > h.Size {
		return nil, fmt.Errorf("%s: Decode %s: offset %d outside a %d-byte object", p.name, obj.Key, off, h.Size)
	}
	if n < 0 || off+n > h.Size {
		n = h.Size - off
	}
	if n == 0 {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	return src.Range(ctx, off, n)
}

// PlainSize implements providers.Provider.
func (p *Provider) PlainSize(ctx context.Context, obj providers.Object, h providers.Head, src providers.Source) (int64, error) {
	return h.Size, nil
}

// Confirm implements providers.Confirmer: got must report the algorithm up
// asked for and, for SSE-KMS with a key id that is not an alias, that key.
func (p *Provider) Confirm(up providers.Upload, got providers.SSE) error {
	asked := up.SSE
	if asked.Algorithm == "" {
		return nil
	}
	if got.Algorithm != asked.Algorithm {
		return fmt.Errorf("%s: asked for %q, S3 reported %q: %w", p.name, asked.Algorithm, got.Algorithm, errs.ErrSSENotConfirmed)
	}
	if asked.Algorithm == AlgorithmKMS && !KeyMatches(asked.KMSKeyID, got.KMSKeyID) {
		return fmt.Errorf("%s: asked for KMS key %q, S3 reported %q: %w", p.name, asked.KMSKeyID, got.KMSKeyID, errs.ErrSSENotConfirmed)
	}
	return nil
}

// KeyMatches reports whether the KMS key id S3 reported confirms the one
// asked for. "" (AWS-managed key) and aliases match any reported key; a key
// id or ARN matches itself, an ARN ending in ":<asked>" (MinIO's
// "arn:aws:kms:<name>") or ":key/<asked>" (AWS's key ARN).
func KeyMatches(asked, reported string) bool {
	switch {
	case asked == "", isAlias(asked):
		return true
	case reported == "":
		return false
	case reported == asked:
		return true
	}
	return strings.HasPrefix(reported, "arn:") &&
		(strings.HasSuffix(reported, ":"+asked) || strings.HasSuffix(reported, ":key/"+asked))
}

// isAlias reports whether id names a KMS alias ("alias/NAME" or its ARN).
func isAlias(id string) bool {
	return strings.HasPrefix(id, "alias/") || (strings.HasPrefix(id, "arn:") && strings.Contains(id, ":alias/"))
}

// passWriter forwards writes; Close must be called once and does not close
// dst (fs owns it).
type passWriter struct {
	dst    io.Writer
	closed bool
}

func (w *passWriter) Write(b []byte) (int, error) {
	if w.closed {
		return 0, errors.New("sse: write after Close")
	}
	return w.dst.Write(b)
}

func (w *passWriter) Close() error {
	if w.closed {
		return errors.New("sse: Close called twice")
	}
	w.closed = true
	return nil
}

// Interface guards.
var (
	_ providers.Provider            = (*Provider)(nil)
	_ providers.ServerSideEncrypter = (*Provider)(nil)
	_ providers.Confirmer           = (*Provider)(nil)
)
