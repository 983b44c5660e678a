package kms

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The scrubbing deserializer decodes both answers exactly, zeroes the body
// buffer it read them into, and leaves error answers to the SDK.
func TestScrubbedAnswers(t *testing.T) {
	key := bytes.Repeat([]byte{0xA5}, 32)
	b64 := base64.StdEncoding.EncodeToString(key)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		switch r.Header.Get("X-Amz-Target") {
		case "TrentService.GenerateDataKey":
			io.WriteString(w, `{"CiphertextBlob":"`+base64.StdEncoding.EncodeToString([]byte("wrapped"))+`","KeyId":"arn:k","Plaintext":"`+b64+`"}`)
		case "TrentService.Decrypt":
			io.WriteString(w, `{"EncryptionAlgorithm":"SYMMETRIC_DEFAULT","KeyId":"arn:k","Plaintext":"`+b64+`"}`)
		default:
			w.WriteHeader(400)
			io.WriteString(w, `{"__type":"NotFoundException","message":"no"}`)
		}
	}))
	defer srv.Close()
	c := testClient(t, srv.URL, ClientLimits{MaxAttempts: 1, AttemptTimeout: time.Second})
	ctx := context.Background()
	pt, wrapped, err := c.GenerateDataKey(ctx, "k", nil)
	if err != nil || !bytes.Equal(pt, key) || string(wrapped) != "wrapped" {
		t.Fatalf("GenerateDataKey: %v %x %q", err, pt, wrapped)
	}
	pt, arn, err := c.DecryptARN(ctx, "k", []byte("wrapped"), nil)
	if err != nil || !bytes.Equal(pt, key) || arn != "arn:k" {
		t.Fatalf("Decrypt: %v %x %q", err, pt, arn)
	}
	if _, err := c.DescribeKey(ctx, "k"); err == nil || Outcome(err) != "NotFoundException" {
		t.Fatalf("DescribeKey error through the SDK: %v", err)
	}
}

func TestReadOwnedZeroesOutgrownBuffers(t *testing.T) {
	body := strings.Repeat("x", 10000)
	got, err := readOwned(strings.NewReader(body), -1)
	if err != nil || string(got) != body {
		t.Fatalf("unknown length: %v, %d bytes", err, len(got))
	}
	if _, err := readOwned(strings.NewReader(body), 100); err == nil {
		t.Fatal("a body longer than its Content-Length was accepted")
	}
	if _, err := readOwned(strings.NewReader("abc"), 10); err == nil {
		t.Fatal("a body shorter than its Content-Length was accepted")
	}
}
