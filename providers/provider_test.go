package providers_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/providers"
)

// bare implements only the four required methods.
type bare struct{ up providers.Upload }

func (bare) Name() string { return "bare" }
func (b bare) Encode(context.Context, providers.Object, io.Writer) (providers.Upload, io.WriteCloser, error) {
	return b.up, nil, nil
}
func (bare) Decode(context.Context, providers.Object, providers.Head, providers.Source, int64, int64) (io.ReadCloser, error) {
	return nil, nil
}
func (bare) PlainSize(context.Context, providers.Object, providers.Head, providers.Source) (int64, error) {
	return 0, nil
}

// full implements every optional interface.
type full struct{ bare }

func (full) ListedSize(stored int64) int64 { return stored - 16 }
func (full) SSE() providers.SSE            { return providers.SSE{Algorithm: "aws:kms", KMSKeyID: "k"} }
func (full) Confirm(providers.Upload, providers.SSE) error {
	return errs.ErrSSENotConfirmed
}
func (full) DecodeSegment(context.Context, providers.Object, providers.Head, providers.Source, int64, int64) (providers.SegmentReader, error) {
	return nil, errs.ErrIntegrity
}
func (full) VerifySegments(context.Context, providers.Object, providers.Head, providers.Source, []providers.Segment) error {
	return errs.ErrIntegrity
}

var (
	_ providers.ListedSizer         = full{}
	_ providers.ServerSideEncrypter = full{}
	_ providers.Confirmer           = full{}
	_ providers.SegmentDecoder      = full{}
)

func TestHelpersDefaults(t *testing.T) {
	ctx := context.Background()
	var p providers.Provider = bare{}
	if got := providers.ListedSize(p, 42); got != 42 {
		t.Errorf("ListedSize default = %d, want the stored size", got)
	}
	if got := providers.CopySSE(p); got != (providers.SSE{}) {
		t.Errorf("CopySSE default = %+v, want none", got)
	}
	for _, got := range []providers.SSE{{}, {Algorithm: "AES256"}, {Algorithm: "aws:kms", KMSKeyID: "x"}} {
		if err := providers.Confirm(p, providers.Upload{}, got); err != nil {
			t.Errorf("Confirm default, nothing asked, report %+v: %v", got, err)
		}
	}
	// Asked for SSE without being a Confirmer: the algorithm must match.
	asked := providers.Upload{SSE: providers.SSE{Algorithm: "AES256"}}
	if err := providers.Confirm(bare{up: asked}, asked, providers.SSE{}); !errors.Is(err, errs.ErrSSENotConfirmed) {
		t.Errorf("Confirm default, SSE asked, none reported: %v", err)
	}
	if err := providers.Confirm(bare{up: asked}, asked, providers.SSE{Algorithm: "AES256"}); err != nil {
		t.Errorf("Confirm default, SSE asked and reported: %v", err)
	}
	if _, err := providers.DecodeSegment(ctx, p, providers.Object{}, providers.Head{}, nil, 0, 16); !errors.Is(err, errs.ErrNoSegments) {
		t.Errorf("DecodeSegment default: %v", err)
	}
	if err := providers.VerifySegments(ctx, p, providers.Object{}, providers.Head{}, nil, nil); !errors.Is(err, errs.ErrNoSegments) {
		t.Errorf("VerifySegments default: %v", err)
	}
}

func TestHelpersUseCapabilities(t *testing.T) {
	ctx := context.Background()
	var p providers.Provider = full{}
	if got := providers.ListedSize(p, 42); got != 26 {
		t.Errorf("ListedSize = %d, want the provider's 26", got)
	}
	if got := providers.CopySSE(p); got != (providers.SSE{Algorithm: "aws:kms", KMSKeyID: "k"}) {
		t.Errorf("CopySSE = %+v, want the provider's", got)
	}
	if err := providers.Confirm(p, providers.Upload{}, providers.SSE{}); !errors.Is(err, errs.ErrSSENotConfirmed) {
		t.Errorf("Confirm = %v, want the provider's answer", err)
	}
	if _, err := providers.DecodeSegment(ctx, p, providers.Object{}, providers.Head{}, nil, 0, 16); !errors.Is(err, errs.ErrIntegrity) {
		t.Errorf("DecodeSegment = %v, want the provider's answer", err)
	}
	if err := providers.VerifySegments(ctx, p, providers.Object{}, providers.Head{}, nil, nil); !errors.Is(err, errs.ErrIntegrity) {
		t.Errorf("VerifySegments = %v, want the provider's answer", err)
	}
}
