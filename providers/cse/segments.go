package cse

import (
	"context"
	"fmt"
	"io"
	iofs "io/fs"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/internal/gcmstream"
	"github.com/emrfsd/emrfsd/internal/kms"
	"github.com/emrfsd/emrfsd/providers"
)

// gcmEnvelope loads obj's envelope and checks that it is a GCM object: CBC
// objects have no MAC to compose segments against.
func (p *Provider) gcmEnvelope(ctx context.Context, h providers.Head, src providers.Source) (*envelope, int64, error) {
	env, err := p.loadEnvelope(ctx, h, src)
	if err != nil {
		return nil, 0, err
	}
	if env.cekAlg != CEKAlgGCM {
		return nil, 0, fmt.Errorf("%s: %s object has no MAC: %w", p.name, env.cekAlg, errs.ErrNoSegments)
	}
	plain, err := env.plainSize(h.Size)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", p.name, err)
	}
	return env, plain, nil
}

// DecodeSegment returns plaintext [off, off+n) of a GCM object, decrypted
// with AES-CTR and NOT authenticated, and hashes the ciphertext of that
// range (GHASH composes over concatenation, so VerifySegments can later
// check the whole object from the segments of its pieces). The data key
// comes through the same unwrap path (and cache) as Decode.
func (p *Provider) DecodeSegment(ctx context.Context, obj providers.Object, h providers.Head, src providers.Source, off, n int64) (providers.SegmentReader, error) {
	if off < 0 || n <= 0 || off%16 != 0 {
		return nil, fmt.Errorf("%s: segment [%d,+%d) must start at a multiple of 16 and be non-empty: %w", p.name, off, n, iofs.ErrInvalid)
	}
	env, plain, err := p.gcmEnvelope(ctx, h, src)
	if err != nil {
		return nil, err
	}
	if n > plain-off {
		return nil, fmt.Errorf("%s: segment [%d,+%d) outside the %d-byte object: %w", p.name, off, n, plain, iofs.ErrInvalid)
	}
	// The range is requested before the key is unwrapped: the plaintext
	// key lives only until the ciphers are built (see decodeGCM).
	rc, err := src.Range(ctx, off, n)
	if err != nil {
		return nil, err
	}
	key, err := p.unwrapKey(kms.WithObject(ctx, obj.Bucket, obj.Key), env)
	if err != nil {
		rc.Close()
		return nil, err
	}
	hasher, err := gcmstream.NewHasher(key)
	if err != nil {
		key.zero()
		rc.Close()
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	sum := hasher.NewSegment()
	// The range decrypter reads exactly the n ciphertext bytes of the
	// range from src; the tee hashes them before they are decrypted in
	// place.
	r, err := gcmstream.NewRangeDecrypter(key, env.iv, io.TeeReader(rc, sum), off, n)
	key.zero()
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	return &segmentReader{r: r, c: rc, sum: sum, off: off, n: n}, nil
}

// segmentReader is a plaintext range plus the running hash of its
// ciphertext.
type segmentReader struct {
	r      io.Reader
	c      io.Closer
	sum    *gcmstream.SegmentWriter
	off, n int64
	failed bool
}

func (s *segmentReader) Read(p []byte) (int, error) {
	m, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.failed = true
	}
	return m, err
}

func (s *segmentReader) Close() error { return s.c.Close() }

// Segment returns the ciphertext digest once all n bytes were read.
func (s *segmentReader) Segment() (providers.Segment, bool) {
	if s.failed || s.sum.Len() != s.n {
		return providers.Segment{}, false
	}
	return providers.Segment{Off: s.off, Len: s.n, Digest: s.sum.Sum()}, true
}

// VerifySegments checks a GCM object's stored tag against the composition
// of segs, which must tile [0, plaintext size) in order. It reads only the
// 16-byte tag. A mismatch is gcmstream.ErrAuth (errs.ErrIntegrity).
func (p *Provider) VerifySegments(ctx context.Context, obj providers.Object, h providers.Head, src providers.Source, segs []providers.Segment) error {
	env, plain, err := p.gcmEnvelope(ctx, h, src)
	if err != nil {
		return err
	}
	var end int64
	for i, s := range segs {
		switch {
		case s.Off != end:
			return fmt.Errorf("%s: segment %d starts at %d, want %d: %w", p.name, i, s.Off, end, iofs.ErrInvalid)
		case s.Len <= 0 || s.Len > plain-end:
			return fmt.Errorf("%s: segment %d [%d,+%d) is empty or runs past the %d-byte object: %w", p.name, i, s.Off, s.Len, plain, iofs.ErrInvalid)
		case s.Len%16 != 0 && s.Off+s.Len != plain:
			return fmt.Errorf("%s: segment %d [%d,+%d) is not a whole number of blocks and does not end the object: %w", p.name, i, s.Off, s.Len, iofs.ErrInvalid)
		}
		end += s.Len
	}
	if end != plain {
		return fmt.Errorf("%s: segments cover %d of %d bytes: %w", p.name, end, plain, iofs.ErrInvalid)
	}
	key, err := p.unwrapKey(kms.WithObject(ctx, obj.Bucket, obj.Key), env)
	if err != nil {
		return err
	}
	hasher, err := gcmstream.NewHasher(key)
	key.zero()
	if err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	var whole [16]byte
	for i, s := range segs {
		if i == 0 {
			whole = s.Digest
			continue
		}
		whole = hasher.Combine(whole, s.Digest, gcmstream.Blocks(s.Len))
	}
	rc, err := src.Range(ctx, plain, gcmTagSize)
	if err != nil {
		return err
	}
	defer rc.Close()
	var tag [gcmTagSize]byte
	if _, err := io.ReadFull(rc, tag[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return fmt.Errorf("%s: object ends before its tag: %w", p.name, gcmstream.ErrAuth)
		}
		return err
	}
	if err := hasher.Verify(env.iv, whole, plain, tag[:]); err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	return nil
}
