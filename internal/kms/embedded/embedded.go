package embedded

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/internal/kms"
)

const (
	storeFile    = "keys.json"
	storeVersion = 1
	blobVersion  = 1
	masterSize   = 32
	nonceSize    = 12
	tagSize      = 16
	magic0       = 'E'
	magic1       = 'K'
)

// Error codes, as AWS KMS spells them, carried in *kms.Error.Code.
const (
	codeNotFound          = "NotFoundException"
	codeDisabled          = "DisabledException"
	codeInvalidCiphertext = "InvalidCiphertextException"
	codeIncorrectKey      = "IncorrectKeyException"
	codeInvalidArn        = "InvalidArnException"
	codeAlreadyExists     = "AlreadyExistsException"
	codeInvalidAlias      = "InvalidAliasNameException"
)

type key struct {
	ID       string
	Created  time.Time
	Enabled  bool
	Material []byte // 32 bytes; zeroed on Close
}

// KMS is an embedded key service. It is safe for concurrent use.
type KMS struct {
	dir, region, account string

	mu      sync.RWMutex
	keys    map[string]*key   // by key id (UUID)
	aliases map[string]string // "alias/name" -> key id
	closed  bool
}

var (
	_ kms.Service      = (*KMS)(nil)
	_ kms.ARNDecrypter = (*KMS)(nil)
)

// storeJSON is the on-disk form of the key store.
type storeJSON struct {
	Version int               `json:"version"`
	Region  string            `json:"region"`
	Account string            `json:"account"`
	Keys    []storeKey        `json:"keys"`
	Aliases map[string]string `json:"aliases"`
}

type storeKey struct {
	ID       string    `json:"id"`
	Created  time.Time `json:"created"`
	Enabled  bool      `json:"enabled"`
	Material []byte    `json:"material"` // base64
}

var (
	regionRe  = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)
	accountRe = regexp.MustCompile(`^[0-9]{12}$`)
	uuidRe    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	aliasRe   = regexp.MustCompile(`^alias/[A-Za-z0-9/_-]{1,250}$`)
)

// Open opens (creating if needed) the key store in dir. region and account
// make up the key ARNs, as in AWS: arn:aws:kms:REGION:ACCOUNT:key/UUID. A
// store created for another region or account is refused.
func Open(dir, region, account string) (*KMS, error) {
	if dir == "" {
		return nil, errors.New("embedded kms: no key store directory given")
	}
	if !regionRe.MatchString(region) {
		return nil, fmt.Errorf("embedded kms: invalid region %q", region)
	}
	if !accountRe.MatchString(account) {
		return nil, fmt.Errorf("embedded kms: invalid account %q (want 12 digits)", account)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded kms: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("embedded kms: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return nil, fmt.Errorf("embedded kms: key store directory %s is accessible to others and cannot be restricted: %w", dir, err)
		}
	}
	k := &KMS{dir: dir, region: region, account: account, keys: map[string]*key{}, aliases: map[string]string{}}
	if err := k.load(); err != nil {
		k.zero()
		return nil, err
	}
	return k, nil
}

func (k *KMS) storePath() string { return filepath.Join(k.dir, storeFile) }

func (k *KMS) load() error {
	raw, err := os.ReadFile(k.storePath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("embedded kms: %w", err)
	}
	defer clear(raw)
	var s storeJSON
	err = json.Unmarshal(raw, &s)
	defer func() {
		for _, sk := range s.Keys {
			clear(sk.Material)
		}
	}()
	if err != nil {
		return fmt.Errorf("embedded kms: key store %s is corrupt: %w", k.storePath(), err)
	}
	if s.Version != storeVersion {
		return fmt.Errorf("embedded kms: key store %s has version %d, want %d", k.storePath(), s.Version, storeVersion)
	}
	if s.Region != k.region || s.Account != k.account {
		return fmt.Errorf("embedded kms: key store %s belongs to region %q account %q, not %q %q",
			k.storePath(), s.Region, s.Account, k.region, k.account)
	}
	for _, sk := range s.Keys {
		if !uuidRe.MatchString(sk.ID) || len(sk.Material) != masterSize {
			return fmt.Errorf("embedded kms: key store %s has a malformed key entry %q", k.storePath(), sk.ID)
		}
		k.keys[sk.ID] = &key{ID: sk.ID, Created: sk.Created, Enabled: sk.Enabled, Material: bytes.Clone(sk.Material)}
	}
	for a, id := range s.Aliases {
		if !aliasRe.MatchString(a) || k.keys[id] == nil {
			return fmt.Errorf("embedded kms: key store %s has a malformed alias %q", k.storePath(), a)
		}
		k.aliases[a] = id
	}
	return nil
}

// save writes the store atomically (temp file, fsync, rename). Caller holds k.mu.
func (k *KMS) save() error {
	s := storeJSON{Version: storeVersion, Region: k.region, Account: k.account, Aliases: k.aliases}
	for _, kk := range k.keys {
		s.Keys = append(s.Keys, storeKey{ID: kk.ID, Created: kk.Created, Enabled: kk.Enabled, Material: kk.Material})
	}
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("embedded kms: encode key store: %w", err)
	}
	defer clear(raw)
	f, err := os.CreateTemp(k.dir, storeFile+".tmp-*")
	if err != nil {
		return fmt.Errorf("embedded kms: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("embedded kms: %w", err)
	}
	if _, err := f.Write(raw); err != nil {
		return fmt.Errorf("embedded kms: write key store: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("embedded kms: write key store: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("embedded kms: write key store: %w", err)
	}
	if err := os.Rename(tmp, k.storePath()); err != nil {
		return fmt.Errorf("embedded kms: %w", err)
	}
	ok = true
	if d, err := os.Open(k.dir); err == nil {
		d.Sync() // best effort: make the rename durable
		d.Close()
	}
	return nil
}

// Close zeroes every master key held in memory. Later calls fail with
// errs.ErrKeyUnavailable.
func (k *KMS) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.zero()
	k.closed = true
	return nil
}

func (k *KMS) zero() {
	for _, kk := range k.keys {
		clear(kk.Material)
	}
}

func (k *KMS) arn(id string) string {
	return "arn:aws:kms:" + k.region + ":" + k.account + ":key/" + id
}

func normaliseAlias(alias string) (string, error) {
	if !strings.HasPrefix(alias, "alias/") {
		alias = "alias/" + alias
	}
	if !aliasRe.MatchString(alias) {
		return "", &kms.Error{Op: "CreateAlias", Code: codeInvalidAlias, Err: fmt.Errorf("invalid alias name %q", alias)}
	}
	if strings.HasPrefix(alias, "alias/aws/") {
		return "", &kms.Error{Op: "CreateAlias", Code: codeInvalidAlias, Err: fmt.Errorf("alias %q is reserved for AWS managed keys", alias)}
	}
	return alias, nil
}

func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// CreateKey creates a symmetric key and, when alias is not "", an alias for
// it ("name" or "alias/name"). It returns the key ARN.
func (k *KMS) CreateKey(alias string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.createLocked(alias)
}

func (k *KMS) createLocked(alias string) (string, error) {
	if k.closed {
		return "", errClosed("CreateKey")
	}
	if alias != "" {
		a, err := normaliseAlias(alias)
		if err != nil {
			return "", err
		}
		if _, ok := k.aliases[a]; ok {
			return "", &kms.Error{Op: "CreateAlias", Code: codeAlreadyExists, Err: fmt.Errorf("alias %s already exists", a)}
		}
		alias = a
	}
	id, err := newUUID()
	if err != nil {
		return "", fmt.Errorf("embedded kms: random key id: %w", err)
	}
	material := make([]byte, masterSize)
	if _, err := rand.Read(material); err != nil {
		return "", fmt.Errorf("embedded kms: random key material: %w", err)
	}
	k.keys[id] = &key{ID: id, Created: time.Now().UTC(), Enabled: true, Material: material}
	if alias != "" {
		k.aliases[alias] = id
	}
	if err := k.save(); err != nil {
		clear(material)
		delete(k.keys, id)
		if alias != "" {
			delete(k.aliases, alias)
		}
		return "", err
	}
	return k.arn(id), nil
}

// EnsureKey returns the ARN of the key behind alias, creating the key and
// the alias when the alias does not exist yet. It is idempotent.
func (k *KMS) EnsureKey(alias string) (string, error) {
	a, err := normaliseAlias(alias)
	if err != nil {
		return "", err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return "", errClosed("CreateKey")
	}
	if id, ok := k.aliases[a]; ok {
		return k.arn(id), nil
	}
	return k.createLocked(a)
}

// DisableKey disables a key: GenerateDataKey and Decrypt then fail with
// errs.ErrKeyUnavailable until EnableKey.
func (k *KMS) DisableKey(keyID string) error { return k.setEnabled("DisableKey", keyID, false) }

// EnableKey re-enables a disabled key.
func (k *KMS) EnableKey(keyID string) error { return k.setEnabled("EnableKey", keyID, true) }

func (k *KMS) setEnabled(op, keyID string, on bool) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	kk, err := k.resolveLocked(op, keyID)
	if err != nil {
		return err
	}
	if kk.Enabled == on {
		return nil
	}
	kk.Enabled = on
	if err := k.save(); err != nil {
		kk.Enabled = !on
		return err
	}
	return nil
}

func errClosed(op string) error {
	return &kms.Error{Op: op, Kind: errs.ErrKeyUnavailable, Err: errors.New("embedded key service is closed")}
}

func notFound(op, what string) error {
	return &kms.Error{Op: op, Code: codeNotFound, Kind: errs.ErrKeyUnavailable, Err: fmt.Errorf("key %q not found", what)}
}

// resolveLocked finds a key by id, key ARN, alias name or alias ARN.
func (k *KMS) resolveLocked(op, keyID string) (*key, error) {
	if k.closed {
		return nil, errClosed(op)
	}
	id := keyID
	prefix := "arn:aws:kms:" + k.region + ":" + k.account + ":"
	switch {
	case strings.HasPrefix(keyID, "alias/"):
		a, ok := k.aliases[keyID]
		if !ok {
			return nil, notFound(op, keyID)
		}
		id = a
	case strings.HasPrefix(keyID, prefix+"alias/"):
		a, ok := k.aliases[strings.TrimPrefix(keyID, prefix)]
		if !ok {
			return nil, notFound(op, keyID)
		}
		id = a
	case strings.HasPrefix(keyID, prefix+"key/"):
		id = strings.TrimPrefix(keyID, prefix+"key/")
	case strings.HasPrefix(keyID, "arn:"):
		// Another region/account or a malformed ARN: this service has no such key.
		return nil, notFound(op, keyID)
	case !uuidRe.MatchString(keyID):
		return nil, &kms.Error{Op: op, Code: codeInvalidArn, Kind: errs.ErrKeyUnavailable, Err: fmt.Errorf("invalid key id %q", keyID)}
	}
	kk, ok := k.keys[id]
	if !ok {
		return nil, notFound(op, keyID)
	}
	return kk, nil
}

func disabled(op, id string) error {
	return &kms.Error{Op: op, Code: codeDisabled, Kind: errs.ErrKeyUnavailable, Err: fmt.Errorf("key %s is disabled", id)}
}

func header(id string) []byte {
	h := make([]byte, 0, 4+len(id))
	h = append(h, magic0, magic1, blobVersion, byte(len(id)))
	return append(h, id...)
}

func aad(hdr []byte, encCtx map[string]string) []byte {
	c := kms.CanonicalContext(encCtx)
	out := make([]byte, 0, len(hdr)+8+len(c))
	out = append(out, hdr...)
	out = binary.BigEndian.AppendUint64(out, uint64(len(c)))
	return append(out, c...)
}

func gcm(material []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(material)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// GenerateDataKey returns a fresh 32-byte data key and its blob wrapped
// under keyID with encCtx as additional data. The caller zeroes plaintext.
func (k *KMS) GenerateDataKey(_ context.Context, keyID string, encCtx map[string]string) ([]byte, []byte, error) {
	const op = "GenerateDataKey"
	k.mu.RLock()
	defer k.mu.RUnlock()
	kk, err := k.resolveLocked(op, keyID)
	if err != nil {
		return nil, nil, err
	}
	if !kk.Enabled {
		return nil, nil, disabled(op, kk.ID)
	}
	aead, err := gcm(kk.Material)
	if err != nil {
		return nil, nil, &kms.Error{Op: op, Err: err}
	}
	dk := make([]byte, kms.DataKeySize)
	if _, err := rand.Read(dk); err != nil {
		return nil, nil, &kms.Error{Op: op, Err: fmt.Errorf("random data key: %w", err)}
	}
	hdr := header(kk.ID)
	blob := make([]byte, 0, len(hdr)+nonceSize+kms.DataKeySize+tagSize)
	blob = append(blob, hdr...)
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		clear(dk)
		return nil, nil, &kms.Error{Op: op, Err: fmt.Errorf("random nonce: %w", err)}
	}
	blob = append(blob, nonce...)
	blob = aead.Seal(blob, nonce, dk, aad(hdr, encCtx))
	return dk, blob, nil
}

// Decrypt unwraps a blob made by GenerateDataKey. keyID may be "" (the key
// named in the blob is used); when given it must name the blob's key.
func (k *KMS) Decrypt(ctx context.Context, keyID string, wrapped []byte, encCtx map[string]string) ([]byte, error) {
	pt, _, err := k.DecryptARN(ctx, keyID, wrapped, encCtx)
	return pt, err
}

func invalidCiphertext(why string) error {
	return &kms.Error{Op: "Decrypt", Code: codeInvalidCiphertext, Kind: errs.ErrKeyMismatch, Err: errors.New(why)}
}

// DecryptARN is Decrypt that also returns the ARN of the key used.
func (k *KMS) DecryptARN(_ context.Context, keyID string, wrapped []byte, encCtx map[string]string) ([]byte, string, error) {
	const op = "Decrypt"
	if len(wrapped) < 4 || wrapped[0] != magic0 || wrapped[1] != magic1 {
		return nil, "", invalidCiphertext("not an embedded-kms blob")
	}
	if wrapped[2] != blobVersion {
		return nil, "", invalidCiphertext(fmt.Sprintf("unsupported blob version %d", wrapped[2]))
	}
	idLen := int(wrapped[3])
	if len(wrapped) != 4+idLen+nonceSize+kms.DataKeySize+tagSize {
		return nil, "", invalidCiphertext("blob has the wrong length")
	}
	blobID := string(wrapped[4 : 4+idLen])
	if !uuidRe.MatchString(blobID) {
		return nil, "", invalidCiphertext("blob names a malformed key id")
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	var kk *key
	if keyID != "" {
		want, err := k.resolveLocked(op, keyID)
		if err != nil {
			return nil, "", err
		}
		if want.ID != blobID {
			return nil, "", &kms.Error{Op: op, Code: codeIncorrectKey, Kind: errs.ErrKeyMismatch,
				Err: fmt.Errorf("blob was not wrapped under key %s", keyID)}
		}
		kk = want
	} else {
		if k.closed {
			return nil, "", errClosed(op)
		}
		var ok bool
		if kk, ok = k.keys[blobID]; !ok {
			// AWS answers a blob whose key it cannot find with InvalidCiphertextException.
			return nil, "", invalidCiphertext("blob was wrapped under an unknown key")
		}
	}
	if !kk.Enabled {
		return nil, "", disabled(op, kk.ID)
	}
	aead, err := gcm(kk.Material)
	if err != nil {
		return nil, "", &kms.Error{Op: op, Err: err}
	}
	hdr := wrapped[:4+idLen]
	nonce := wrapped[4+idLen : 4+idLen+nonceSize]
	pt, err := aead.Open(nil, nonce, wrapped[4+idLen+nonceSize:], aad(hdr, encCtx))
	if err != nil {
		return nil, "", invalidCiphertext("blob or encryption context does not authenticate")
	}
	return pt, k.arn(kk.ID), nil
}

// DescribeKey reports the key's ARN and its fixed properties.
func (k *KMS) DescribeKey(_ context.Context, keyID string) (kms.KeyInfo, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	kk, err := k.resolveLocked("DescribeKey", keyID)
	if err != nil {
		return kms.KeyInfo{}, err
	}
	state := kms.KeyStateEnabled
	if !kk.Enabled {
		state = kms.KeyStateDisabled
	}
	return kms.KeyInfo{ARN: k.arn(kk.ID), KeySpec: kms.KeySpecSymmetricDefault, KeyUsage: kms.KeyUsageEncryptDecrypt, State: state}, nil
}
