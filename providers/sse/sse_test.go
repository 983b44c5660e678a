package sse_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"testing"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/providers"
	"github.com/emrfsd/emrfsd/providers/sse"
)

func TestConfirm(t *testing.T) {
	const (
		uuid   = "1234abcd-12ab-34cd-56ef-1234567890ab"
		keyARN = "arn:aws:kms:us-east-1:111122223333:key/" + uuid
		other  = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000"
	)
	tests := []struct {
		name string
		p    *sse.Provider
		got  providers.SSE
		ok   bool
	}{
		{"s3 confirmed", sse.NewS3(), providers.SSE{Algorithm: "AES256"}, true},
		{"s3 not encrypted", sse.NewS3(), providers.SSE{}, false},
		{"s3 answered kms", sse.NewS3(), providers.SSE{Algorithm: "aws:kms", KMSKeyID: keyARN}, false},
		{"s3 lower-case algorithm", sse.NewS3(), providers.SSE{Algorithm: "aes256"}, false},
		{"kms minio name", sse.NewKMS("emrfsd-test-key"), providers.SSE{Algorithm: "aws:kms", KMSKeyID: "arn:aws:kms:emrfsd-test-key"}, true},
		{"kms exact", sse.NewKMS("emrfsd-test-key"), providers.SSE{Algorithm: "aws:kms", KMSKeyID: "emrfsd-test-key"}, true},
		{"kms minio other name", sse.NewKMS("emrfsd-test-key"), providers.SSE{Algorithm: "aws:kms", KMSKeyID: "arn:aws:kms:other-key"}, false},
		{"kms name as suffix of another", sse.NewKMS("test-key"), providers.SSE{Algorithm: "aws:kms", KMSKeyID: "arn:aws:kms:emrfsd-test-key"}, false},
		{"kms key id, AWS ARN", sse.NewKMS(uuid), providers.SSE{Algorithm: "aws:kms", KMSKeyID: keyARN}, true},
		{"kms key id, wrong ARN", sse.NewKMS(uuid), providers.SSE{Algorithm: "aws:kms", KMSKeyID: other}, false},
		{"kms key id, no key reported", sse.NewKMS(uuid), providers.SSE{Algorithm: "aws:kms"}, false},
		{"kms key id, not an ARN", sse.NewKMS(uuid), providers.SSE{Algorithm: "aws:kms", KMSKeyID: "x:" + uuid}, false},
		{"kms key ARN exact", sse.NewKMS(keyARN), providers.SSE{Algorithm: "aws:kms", KMSKeyID: keyARN}, true},
		{"kms key ARN, other key", sse.NewKMS(keyARN), providers.SSE{Algorithm: "aws:kms", KMSKeyID: other}, false},
		{"kms answered AES256", sse.NewKMS(uuid), providers.SSE{Algorithm: "AES256"}, false},
		{"kms answered nothing", sse.NewKMS(""), providers.SSE{}, false},
		{"kms aws-managed key", sse.NewKMS(""), providers.SSE{Algorithm: "aws:kms", KMSKeyID: other}, true},
		{"kms alias: any key", sse.NewKMS("alias/data"), providers.SSE{Algorithm: "aws:kms", KMSKeyID: other}, true},
		{"kms alias ARN: any key", sse.NewKMS("arn:aws:kms:us-east-1:111122223333:alias/data"), providers.SSE{Algorithm: "aws:kms", KMSKeyID: other}, true},
		{"kms alias: still needs kms", sse.NewKMS("alias/data"), providers.SSE{Algorithm: "AES256"}, false},
		{"kms dsse is not kms", sse.NewKMS(uuid), providers.SSE{Algorithm: "aws:kms:dsse", KMSKeyID: keyARN}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up, _, err := tc.p.Encode(t.Context(), providers.Object{Bucket: "b", Key: "k"}, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			err = tc.p.Confirm(up, tc.got)
			if tc.ok && err != nil {
				t.Errorf("Confirm(%+v) = %v, want nil", tc.got, err)
			}
			if !tc.ok && !errors.Is(err, errs.ErrSSENotConfirmed) {
				t.Errorf("Confirm(%+v) = %v, want ErrSSENotConfirmed", tc.got, err)
			}
		})
	}
}

func TestConfirmNothingAsked(t *testing.T) {
	// An Upload without SSE (not produced by this provider) has nothing to confirm.
	if err := sse.NewKMS("k").Confirm(providers.Upload{}, providers.SSE{}); err != nil {
		t.Fatalf("Confirm = %v", err)
	}
}

func TestRequests(t *testing.T) {
	withCtx, err := sse.NewKMSWithContext("k", map[string]string{"b": "2", "a": "1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		p    *sse.Provider
		name string
		want providers.SSE
	}{
		{sse.NewS3(), "sse-s3", providers.SSE{Algorithm: "AES256"}},
		{sse.NewKMS(""), "sse-kms", providers.SSE{Algorithm: "aws:kms"}},
		{sse.NewKMS("alias/Mixed-Case"), "sse-kms", providers.SSE{Algorithm: "aws:kms", KMSKeyID: "alias/Mixed-Case"}},
		{withCtx, "sse-kms", providers.SSE{Algorithm: "aws:kms", KMSKeyID: "k", Context: base64.StdEncoding.EncodeToString([]byte(`{"a":"1","b":"2"}`))}},
	}
	for _, tc := range tests {
		t.Run(tc.want.Algorithm+"/"+tc.want.KMSKeyID, func(t *testing.T) {
			if tc.p.Name() != tc.name {
				t.Errorf("Name = %q, want %q", tc.p.Name(), tc.name)
			}
			var dst bytes.Buffer
			up, w, err := tc.p.Encode(t.Context(), providers.Object{Bucket: "b", Key: "k"}, &dst)
			if err != nil {
				t.Fatal(err)
			}
			if up.SSE != tc.want || tc.p.SSE() != tc.want {
				t.Errorf("Upload.SSE = %+v, SSE() = %+v, want %+v", up.SSE, tc.p.SSE(), tc.want)
			}
			if len(up.Metadata) != 0 || up.Instruction != nil {
				t.Errorf("SSE upload carries metadata %v / instruction %q", up.Metadata, up.Instruction)
			}
			if _, err := io.WriteString(w, "plaintext"); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if dst.String() != "plaintext" {
				t.Errorf("stored %q, want the plaintext", dst.String())
			}
			if _, err := w.Write([]byte("x")); err == nil {
				t.Error("Write after Close succeeded")
			}
			if err := w.Close(); err == nil {
				t.Error("second Close succeeded")
			}
		})
	}
}

func TestNewKMSWithContextRejects(t *testing.T) {
	for _, ctx := range []map[string]string{nil, {}, {"": "v"}, {"aws:s3:arn": "arn:aws:s3:::b/k"}, {"AWS:x": "y"}} {
		if _, err := sse.NewKMSWithContext("k", ctx); err == nil {
			t.Errorf("NewKMSWithContext(%v) accepted", ctx)
		}
	}
}

func TestDecodeRejectsBadOffset(t *testing.T) {
	p := sse.NewS3()
	for _, off := range []int64{-1, 11} {
		_, err := p.Decode(t.Context(), providers.Object{Bucket: "b", Key: "k"}, providers.Head{Size: 10}, nil, off, 1)
		if err == nil {
			t.Errorf("Decode(off=%d) of a 10-byte object succeeded", off)
		}
	}
}
