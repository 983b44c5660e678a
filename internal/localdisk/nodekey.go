package localdisk

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// KeyService is what the node key needs from KMS (declared by its consumer).
type KeyService interface {
	GenerateDataKey(ctx context.Context, keyID string, encCtx map[string]string) (plaintext, wrapped []byte, err error)
	Decrypt(ctx context.Context, keyID string, wrapped []byte, encCtx map[string]string) (plaintext []byte, err error)
}

// NodeKey is the daemon's local-disk key. Its bytes never leave this
// package; String and LogValue print nothing secret.
type NodeKey struct {
	key   [32]byte
	check string // public key-check value, identifies the key without revealing it
}

func (k *NodeKey) String() string   { return "localdisk.NodeKey[REDACTED " + k.check[:8] + "]" }
func (k *NodeKey) GoString() string { return k.String() }

// Check returns the key-check value (an HMAC of a constant under the key),
// safe to log and store.
func (k *NodeKey) Check() string { return k.check }

// Close zeroes the key.
func (k *NodeKey) Close() { clear(k.key[:]) }

// state is the node key's state file in the data directory: only the
// KMS-wrapped copy of the data key is ever stored (the seed: "stores the
// encrypted copy on its boot volume").
type state struct {
	Version int    `json:"version"`
	KeyID   string `json:"key_id"`
	Wrapped string `json:"wrapped_key"` // base64 KMS CiphertextBlob
	Salt    string `json:"salt"`        // base64, HKDF salt
	Check   string `json:"check"`       // key-check value of the derived key
}

// markerName is written into the local directory once it holds sealed
// files, so a lost state file is detected instead of silently replaced by a
// new key that cannot read what is there.
const markerName = ".emrfsd-sealed"

// ErrStateMissing: the wrapped node key is gone but the local directory
// was sealed under it.
var ErrStateMissing = errors.New("localdisk: wrapped node key missing")

// Unlock returns the node key. On the first start it calls GenerateDataKey
// (no encryption context) and stores only the wrapped copy in stateFile; on
// later starts it sends that copy to Decrypt. The local-disk key is derived
// from the base64 form of the plaintext data key (the seed's LUKS
// passphrase), and the plaintext is zeroed at once. There is no unencrypted
// fallback: any failure is returned and the daemon must not start.
func Unlock(ctx context.Context, ks KeyService, keyID, stateFile, localDir string) (*NodeKey, error) {
	if keyID == "" {
		return nil, errors.New("localdisk: no KMS key configured")
	}
	raw, err := os.ReadFile(stateFile)
	switch {
	case err == nil:
		return unlockExisting(ctx, ks, keyID, stateFile, raw, localDir)
	case errors.Is(err, os.ErrNotExist):
		if m, merr := os.ReadFile(filepath.Join(localDir, markerName)); merr == nil {
			return nil, fmt.Errorf("%w: %s does not exist, but %s was sealed under node key %s; restore the state file (or remove %s to start over, losing its staged data)",
				ErrStateMissing, stateFile, localDir, string(m), localDir)
		}
		return firstStart(ctx, ks, keyID, stateFile, localDir)
	default:
		return nil, fmt.Errorf("localdisk: read %s: %w", stateFile, err)
	}
}

func derive(plain []byte, salt []byte) (*NodeKey, error) {
	pass := make([]byte, base64.StdEncoding.EncodedLen(len(plain)))
	base64.StdEncoding.Encode(pass, plain)
	defer clear(pass)
	k, err := hkdf.Key(sha256.New, pass, salt, "emrfsd node key v1", 32)
	if err != nil {
		return nil, err
	}
	nk := &NodeKey{}
	copy(nk.key[:], k)
	clear(k)
	mac := hmac.New(sha256.New, nk.key[:])
	mac.Write([]byte("emrfsd node key check"))
	nk.check = hex.EncodeToString(mac.Sum(nil)[:16])
	return nk, nil
}

func firstStart(ctx context.Context, ks KeyService, keyID, stateFile, localDir string) (*NodeKey, error) {
	plain, wrapped, err := ks.GenerateDataKey(ctx, keyID, nil)
	if err != nil {
		return nil, fmt.Errorf("localdisk: GenerateDataKey with %s: %w", keyID, err)
	}
	salt := make([]byte, 32)
	if _, err := io.ReadFull(rand.Reader, salt); err != nil {
		clear(plain)
		return nil, fmt.Errorf("localdisk: random salt: %w", err)
	}
	nk, err := derive(plain, salt)
	clear(plain)
	if err != nil {
		return nil, err
	}
	st := state{Version: 1, KeyID: keyID, Wrapped: base64.StdEncoding.EncodeToString(wrapped), Salt: base64.StdEncoding.EncodeToString(salt), Check: nk.check}
	raw, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		nk.Close()
		return nil, err
	}
	if err := writeFileAtomic(stateFile, raw); err != nil {
		nk.Close()
		return nil, fmt.Errorf("localdisk: store wrapped node key: %w", err)
	}
	if err := writeMarker(localDir, nk.check); err != nil {
		nk.Close()
		return nil, err
	}
	return nk, nil
}

func unlockExisting(ctx context.Context, ks KeyService, keyID, stateFile string, raw []byte, localDir string) (*NodeKey, error) {
	var st state
	if err := json.Unmarshal(raw, &st); err != nil || st.Version != 1 {
		return nil, fmt.Errorf("localdisk: %s is not a node key state file", stateFile)
	}
	if st.KeyID != keyID {
		return nil, fmt.Errorf("localdisk: %s holds a node key wrapped under %q but emrfsd.local.encryption.kms.keyId is %q", stateFile, st.KeyID, keyID)
	}
	wrapped, err1 := base64.StdEncoding.DecodeString(st.Wrapped)
	salt, err2 := base64.StdEncoding.DecodeString(st.Salt)
	if err1 != nil || err2 != nil || len(salt) != 32 {
		return nil, fmt.Errorf("localdisk: %s is corrupt", stateFile)
	}
	plain, err := ks.Decrypt(ctx, keyID, wrapped, nil)
	if err != nil {
		return nil, fmt.Errorf("localdisk: Decrypt of the node key with %s: %w", keyID, err)
	}
	nk, err := derive(plain, salt)
	clear(plain)
	if err != nil {
		return nil, err
	}
	if !hmac.Equal([]byte(nk.check), []byte(st.Check)) {
		nk.Close()
		return nil, fmt.Errorf("localdisk: node key from %s does not match its check value", stateFile)
	}
	if err := writeMarker(localDir, nk.check); err != nil {
		nk.Close()
		return nil, err
	}
	return nk, nil
}

func writeMarker(localDir, check string) error {
	if err := os.MkdirAll(localDir, 0o700); err != nil {
		return fmt.Errorf("localdisk: %w", err)
	}
	p := filepath.Join(localDir, markerName)
	if old, err := os.ReadFile(p); err == nil {
		if string(old) != check {
			return fmt.Errorf("localdisk: %s was sealed under another node key (%s)", localDir, string(old))
		}
		return nil
	}
	return writeFileAtomic(p, []byte(check))
}

func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
