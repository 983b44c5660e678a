package cse

import (
	"fmt"
	"log/slog"
)

// dataKeySize is the AES-256 data key length every object uses.
const dataKeySize = 32

// redacted is what a key prints as.
const redacted = "[REDACTED]"

// dataKey is plaintext key material (a data key or a key-encryption key).
// It formats as [REDACTED] under %v, %s, %#v and slog, and is zeroed with
// zero as soon as it is no longer needed.
type dataKey []byte

func (dataKey) String() string               { return redacted }
func (dataKey) GoString() string             { return redacted }
func (dataKey) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (k dataKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// zero overwrites the key bytes.
func (k dataKey) zero() { clear(k) }

var (
	_ fmt.Stringer   = dataKey(nil)
	_ fmt.GoStringer = dataKey(nil)
	_ slog.LogValuer = dataKey(nil)
	_ fmt.Formatter  = dataKey(nil)
)
