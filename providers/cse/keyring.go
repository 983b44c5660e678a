package cse

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/emrfsd/emrfsd/internal/errs"
)

// KeyringFileName selects KeyringFile in NewMaterials.
const KeyringFileName = "keyring-file"

// keyringKeyMatDesc is the matdesc entry naming the KEK that wrapped a key.
const keyringKeyMatDesc = "keyring-key"

// maxKeyringFile bounds the keyring file read at start.
const maxKeyringFile = 1 << 20

// KeyringFile is a Materials backed by a local JSON file of AES-256
// key-encryption keys (KEKs):
//
//	{"current": "k2", "keys": {"k1": "<base64 of 32 bytes>", "k2": "..."}}
//
// The file must be readable by its owner only (mode 0600 or stricter). New
// data keys are wrapped under the current KEK with the S3EC wrap algorithm
// "AES/GCM", exactly as S3EC-Java's AES keyring does:
//
//	wrapped = N || AES-GCM-Seal(KEK, N, dataKey, AAD = "AES/GCM/NoPadding")   // N: 12 random bytes
//
// and the matdesc {"keyring-key": NAME} records the KEK, so data keys wrapped
// under older KEKs still unwrap after "current" moves on (rotation). An
// envelope with an empty matdesc (as S3EC-Java's AES keyring writes) is tried
// against every KEK; any other matdesc is refused with ErrKeyMismatch, since
// the wrap does not authenticate it.
type KeyringFile struct {
	path    string
	current string
	keks    map[string]cipher.AEAD // the raw KEK bytes are zeroed after loading
	names   []string               // sorted KEK names
	rand    io.Reader
}

// NewKeyringFile loads a keyring file.
func NewKeyringFile(path string) (*KeyringFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cse-custom: keyring file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cse-custom: keyring file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("cse-custom: keyring file %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("cse-custom: keyring file %s has mode %04o; it must be 0600 or stricter (chmod 600 %s)", path, perm, path)
	}
	raw, err := io.ReadAll(io.LimitReader(f, maxKeyringFile+1))
	if err != nil {
		return nil, fmt.Errorf("cse-custom: keyring file %s: %w", path, err)
	}
	defer clear(raw)
	if len(raw) > maxKeyringFile {
		return nil, fmt.Errorf("cse-custom: keyring file %s is larger than %d bytes", path, maxKeyringFile)
	}
	var doc struct {
		Current string            `json:"current"`
		Keys    map[string][]byte `json:"keys"` // base64 in the file
	}
	defer func() {
		for _, k := range doc.Keys {
			clear(k)
		}
	}()
	if err := json.Unmarshal(raw, &doc); err != nil {
		// The JSON error may quote file content; do not include it.
		return nil, fmt.Errorf("cse-custom: keyring file %s is not valid JSON of the form {\"current\":NAME,\"keys\":{NAME:BASE64,...}}", path)
	}
	if len(doc.Keys) == 0 {
		return nil, fmt.Errorf("cse-custom: keyring file %s has no keys", path)
	}
	if _, ok := doc.Keys[doc.Current]; !ok || doc.Current == "" {
		return nil, fmt.Errorf("cse-custom: keyring file %s: current key %q is not among its keys", path, doc.Current)
	}
	kr := &KeyringFile{path: path, current: doc.Current, keks: map[string]cipher.AEAD{}, rand: rand.Reader}
	for name, k := range doc.Keys {
		if name == "" {
			return nil, fmt.Errorf("cse-custom: keyring file %s has a key with an empty name", path)
		}
		if len(k) != 32 {
			return nil, fmt.Errorf("cse-custom: keyring file %s: key %q is %d bytes, want 32 (AES-256)", path, name, len(k))
		}
		b, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("cse-custom: keyring file %s: key %q: %w", path, name, err)
		}
		aead, err := cipher.NewGCM(b)
		if err != nil {
			return nil, fmt.Errorf("cse-custom: keyring file %s: key %q: %w", path, name, err)
		}
		kr.keks[name] = aead
		kr.names = append(kr.names, name)
	}
	slices.Sort(kr.names)
	return kr, nil
}

// Name returns KeyringFileName.
func (k *KeyringFile) Name() string { return KeyringFileName }

// Current returns the name of the KEK new data keys are wrapped under.
func (k *KeyringFile) Current() string { return k.current }

// wrapAAD is the additional data of S3EC's AES/GCM key wrap: the content
// cipher name of the AES-256-GCM suite.
var wrapAAD = []byte(CEKAlgGCM)

// Wrap wraps dataKey under the current KEK.
func (k *KeyringFile) Wrap(_ context.Context, dataKey []byte) ([]byte, map[string]string, string, error) {
	aead := k.keks[k.current]
	out := make([]byte, gcmIVSize, gcmIVSize+len(dataKey)+aead.Overhead())
	if _, err := io.ReadFull(k.rand, out); err != nil {
		return nil, nil, "", fmt.Errorf("keyring file: generate nonce: %w", err)
	}
	out = aead.Seal(out, out[:gcmIVSize], dataKey, wrapAAD)
	return out, map[string]string{keyringKeyMatDesc: k.current}, WrapAESGCM, nil
}

// Unwrap recovers a data key wrapped with "AES/GCM" under one of the KEKs.
func (k *KeyringFile) Unwrap(_ context.Context, wrapped []byte, matdesc map[string]string, wrapAlg string) ([]byte, error) {
	if wrapAlg != WrapAESGCM {
		return nil, fmt.Errorf("keyring file reads wrap algorithm %q, object uses %q: %w", WrapAESGCM, wrapAlg, errs.ErrUnsupportedAlgorithm)
	}
	if len(wrapped) < gcmIVSize+gcmTagSize {
		return nil, fmt.Errorf("keyring file: wrapped key is %d bytes, too short for AES/GCM: %w", len(wrapped), errs.ErrIntegrity)
	}
	nonce, ct := wrapped[:gcmIVSize], wrapped[gcmIVSize:]
	// The matdesc is not authenticated by the AES/GCM wrap, so accept only
	// the two forms writers produce: {"keyring-key": NAME} (this type) and
	// {} (S3EC-Java's AES keyring, tried against every KEK).
	names := k.names
	name, named := matdesc[keyringKeyMatDesc]
	switch {
	case named && len(matdesc) == 1:
		if _, have := k.keks[name]; !have {
			return nil, fmt.Errorf("keyring file %s has no key %q: %w", k.path, name, errs.ErrKeyMismatch)
		}
		names = []string{name}
	case len(matdesc) != 0:
		return nil, fmt.Errorf("keyring file: material description is neither {} nor {%q: NAME}: %w", keyringKeyMatDesc, errs.ErrKeyMismatch)
	}
	for _, name := range names {
		if pt, err := k.keks[name].Open(nil, nonce, ct, wrapAAD); err == nil {
			return pt, nil
		}
	}
	return nil, fmt.Errorf("keyring file %s: no key unwraps this data key (wrong key, or the wrapped key was altered): %w", k.path, errs.ErrKeyMismatch)
}

// Interface guards.
var _ Materials = (*KeyringFile)(nil)
