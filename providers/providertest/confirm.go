package providertest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/providers"
)

// testCopy copies objects the way fs renames them (CopyObject re-sending
// providers.CopySSE, metadata copied, instruction file copied first) and reads
// the copies back.
func testCopy(t *testing.T, s *suite) {
	for _, size := range []int{0, 17, Chunk + 1, PartSize + 3} {
		t.Run(fmt.Sprintf("size=%d", size), func(t *testing.T) {
			src, dst := fmt.Sprintf("copy/%d-src", size), fmt.Sprintf("copy/%d-dst", size)
			want := plaintext(size)
			st := s.put(t, src, want)
			got, err := CopyObject(t, s.h, src, dst)
			if err != nil {
				t.Fatal(err)
			}
			if err := providers.Confirm(s.h.Provider, providers.Upload{Metadata: st.Upload.Metadata, SSE: providers.CopySSE(s.h.Provider)}, got); err != nil {
				t.Errorf("Confirm of the copy's answer %+v: %v", got, err)
			}
			read, err := s.get(t.Context(), dst, 0, -1)
			if err != nil {
				t.Fatalf("read copy: %v", err)
			}
			if err := compare(read, want); err != nil {
				t.Fatalf("read copy: %v", err)
			}
		})
	}
}

// CopyObject copies src to dst within h.Bucket as fs's rename does: the
// instruction file (if any) first, then the object with its metadata and
// providers.CopySSE(h.Provider) re-sent. It returns S3's report of the copy's encryption
// (from a HEAD when the copy's answer has none, as MinIO's never does).
func CopyObject(t *testing.T, h *Harness, src, dst string) (providers.SSE, error) {
	t.Helper()
	ctx := t.Context()
	ins, err := instruction(ctx, h.S3, h.Bucket, src)
	if err != nil {
		return providers.SSE{}, err
	}
	if ins != nil {
		if _, err := h.S3.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: aws.String(h.Bucket), Key: aws.String(dst + providers.InstructionSuffix),
			CopySource: aws.String(h.Bucket + "/" + src + providers.InstructionSuffix),
		}); err != nil {
			return providers.SSE{}, fmt.Errorf("copy instruction file: %w", err)
		}
	}
	in := &s3.CopyObjectInput{Bucket: aws.String(h.Bucket), Key: aws.String(dst), CopySource: aws.String(h.Bucket + "/" + src)}
	applySSE(providers.CopySSE(h.Provider), &in.ServerSideEncryption, &in.SSEKMSKeyId, &in.SSEKMSEncryptionContext)
	out, err := h.S3.CopyObject(ctx, in)
	if err != nil {
		return providers.SSE{}, fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	got := providers.SSE{
		Algorithm: string(out.ServerSideEncryption),
		KMSKeyID:  aws.ToString(out.SSEKMSKeyId),
		Context:   aws.ToString(out.SSEKMSEncryptionContext),
	}
	return reportedSSE(ctx, h.S3, h.Bucket, dst, got)
}

// wrongAnswers lists SSE reports that do not confirm what asked requests.
func wrongAnswers(asked providers.SSE) []providers.SSE {
	const otherKey = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-00000000beef"
	switch asked.Algorithm {
	case "":
		return nil // nothing asked: any report (e.g. a bucket default) confirms it
	case "AES256":
		return []providers.SSE{{}, {Algorithm: "aws:kms"}, {Algorithm: "aws:kms", KMSKeyID: otherKey}, {Algorithm: "aws:kms:dsse"}}
	case "aws:kms":
		out := []providers.SSE{{}, {Algorithm: "AES256"}, {Algorithm: "aws:kms:dsse", KMSKeyID: asked.KMSKeyID}}
		if id := asked.KMSKeyID; id != "" && !strings.HasPrefix(id, "alias/") && !strings.Contains(id, ":alias/") {
			out = append(out,
				providers.SSE{Algorithm: "aws:kms", KMSKeyID: otherKey},
				providers.SSE{Algorithm: "aws:kms", KMSKeyID: "arn:aws:kms:x" + id},
				providers.SSE{Algorithm: "aws:kms", KMSKeyID: id + "x"},
				providers.SSE{Algorithm: "aws:kms"})
		}
		return out
	}
	return []providers.SSE{{}}
}

// testConfirm checks Confirm against real and forged S3 answers, through
// the providers helpers (so a provider without the optional Confirmer or
// ServerSideEncrypter gets the defaults fs would apply).
func testConfirm(t *testing.T, s *suite) {
	st := s.put(t, "confirm/obj", plaintext(100))
	p := s.h.Provider
	if st.Upload.SSE != (providers.SSE{}) {
		// A provider that asks S3 to encrypt must say so for copies and
		// check S3's answers itself: the defaults (no SSE on copies, only
		// the algorithm checked) would lose or under-check its encryption.
		if _, ok := p.(providers.ServerSideEncrypter); !ok {
			t.Errorf("writes ask for %+v, but the provider is no providers.ServerSideEncrypter: copies would drop the encryption", st.Upload.SSE)
		}
		if _, ok := p.(providers.Confirmer); !ok {
			t.Errorf("writes ask for %+v, but the provider is no providers.Confirmer: S3's answers would not be checked fully", st.Upload.SSE)
		}
	}
	if got := providers.CopySSE(p); got != st.Upload.SSE {
		t.Errorf("CopySSE = %+v, but writes ask for %+v: copies would change the encryption", got, st.Upload.SSE)
	}
	h := s.head(t, "confirm/obj")
	if err := providers.Confirm(p, st.Upload, h.SSE); err != nil {
		t.Errorf("Confirm rejects the HEAD's report %+v of what it asked (%+v): %v", h.SSE, st.Upload.SSE, err)
	}
	if st.Upload.SSE.Algorithm != "" && h.SSE.Algorithm != st.Upload.SSE.Algorithm {
		t.Errorf("asked for %q, HEAD reports %q", st.Upload.SSE.Algorithm, h.SSE.Algorithm)
	}
	wrong := wrongAnswers(st.Upload.SSE)
	if st.Upload.SSE.Algorithm == "" {
		// Bucket default encryption may encrypt what was not asked to be.
		for _, got := range []providers.SSE{{}, {Algorithm: "AES256"}, {Algorithm: "aws:kms", KMSKeyID: "arn:aws:kms:us-east-1:111122223333:key/1"}} {
			if err := providers.Confirm(p, st.Upload, got); err != nil {
				t.Errorf("asked no SSE; Confirm(%+v) = %v, want nil", got, err)
			}
		}
	}
	for _, got := range wrong {
		err := providers.Confirm(p, st.Upload, got)
		if !errors.Is(err, errs.ErrSSENotConfirmed) {
			t.Errorf("asked %+v; Confirm(%+v) = %v, want ErrSSENotConfirmed", st.Upload.SSE, got, err)
		}
	}
}
