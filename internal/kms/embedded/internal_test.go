package embedded

import (
	"bytes"
	"testing"
)

// TestCloseZeroesMasterKeys looks at the in-memory key material directly.
func TestCloseZeroesMasterKeys(t *testing.T) {
	k, err := Open(t.TempDir(), "us-east-1", "111122223333")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"one", "two"} {
		if _, err := k.CreateKey(a); err != nil {
			t.Fatal(err)
		}
	}
	var held [][]byte
	for _, kk := range k.keys {
		if bytes.Equal(kk.Material, make([]byte, masterSize)) {
			t.Fatal("a fresh master key is all zero")
		}
		held = append(held, kk.Material)
	}
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	for i, m := range held {
		if !bytes.Equal(m, make([]byte, masterSize)) {
			t.Errorf("master key %d not zeroed by Close", i)
		}
	}
}
