package gcmstream_test

import (
	"bytes"
	"fmt"
	"io"

	"github.com/emrfsd/emrfsd/internal/gcmstream"
)

func Example() {
	key := bytes.Repeat([]byte{1}, 32) // a per-object data key in real use
	iv := bytes.Repeat([]byte{2}, gcmstream.NonceSize)

	var stored bytes.Buffer
	enc, err := gcmstream.NewEncrypter(key, iv, &stored)
	if err != nil {
		fmt.Println(err)
		return
	}
	io.WriteString(enc, "hello, ")
	io.WriteString(enc, "streaming GCM")
	if err := enc.Close(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("stored bytes:", stored.Len())

	dec, err := gcmstream.NewDecrypter(key, iv, bytes.NewReader(stored.Bytes()), int64(stored.Len()))
	if err != nil {
		fmt.Println(err)
		return
	}
	plain, err := io.ReadAll(dec)
	fmt.Printf("%q %v\n", plain, err)

	// Verify the tag from two separately hashed pieces (split at a multiple
	// of 16 bytes), as block-wise readers of one object would.
	h, _ := gcmstream.NewHasher(key)
	ct := stored.Bytes()[:stored.Len()-gcmstream.TagSize]
	whole := h.Combine(h.Segment(ct[:16]), h.Segment(ct[16:]), gcmstream.Blocks(int64(len(ct)-16)))
	fmt.Println(h.Verify(iv, whole, int64(len(ct)), stored.Bytes()[len(ct):]))
	// Output:
	// stored bytes: 36
	// "hello, streaming GCM" <nil>
	// <nil>
}
