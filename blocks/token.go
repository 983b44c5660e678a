package blocks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	iofs "io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// Block access tokens.
//
// HDFS's answer to "a client that could never open a file through the
// NameNode reads its blocks by naming their ids" is the block access token
// (dfs.block.access.token.enable): the NameNode hands a MAC'd token out with
// every block location, and the DataNode serves a block only to a request
// carrying a valid token for that block and mode. emrfsd does the same, and
// goes one step further: a read token also names the object version and
// byte range the block is, so any daemon holding the same key can serve it
// without the NameNode's memory (restarts, several daemons over one bucket).
//
// The identifier is a Hadoop BlockTokenIdentifier in its legacy Writable
// form, so tools that decode tokens can: expiryDate (vlong ms), keyId
// (vint), userId, blockPoolId (strings), blockId (vlong), access modes,
// storage types and ids, and a trailing byte array (Hadoop's handshake
// secret field) that carries emrfsd's locator:
//
//	locator = version 1 | uvarint len(path) | path | uvarint len(etag) | etag
//	          | uvarint off | uvarint n
//
// The password is HMAC-SHA256(key, "emrfsd-block-token-v1" || identifier).
// Writers of the same key file share tokens and block ids; the key never
// leaves the daemon.

// TokenKind is the kind Hadoop gives block tokens.
const TokenKind = "HDFS_BLOCK_TOKEN"

// Mode is a block access mode.
type Mode string

// Access modes (Hadoop's BlockTokenIdentifier.AccessMode names).
const (
	ModeRead  Mode = "READ"
	ModeWrite Mode = "WRITE"
)

// Token is a block access token as it travels in TokenProto.
type Token struct {
	Identifier, Password []byte
	Kind, Service        string
}

// Empty reports whether the token carries nothing (a client without one,
// or a NameNode with tokens off).
func (t Token) Empty() bool { return len(t.Identifier) == 0 && len(t.Password) == 0 }

// ErrBadToken: a missing, malformed, forged, expired or mismatched block
// token. It satisfies errors.Is(err, io/fs.ErrPermission), which the
// DataNode reports as ERROR_ACCESS_TOKEN (the Java client then refetches
// its block locations and tokens).
var ErrBadToken = fmt.Errorf("block access token refused (%w)", iofs.ErrPermission)

// KeySize is the size of a block key.
const KeySize = 32

// Key is the secret behind block ids and tokens.
type Key struct {
	secret [KeySize]byte
	id     int32 // a fingerprint, sent as the token's keyId
}

// String, GoString and LogValue keep the secret out of logs and errors.
func (k *Key) String() string       { return "blocks.Key[REDACTED]" }
func (k *Key) GoString() string     { return k.String() }
func (k *Key) LogValue() slog.Value { return slog.StringValue(k.String()) }

// NewKey returns a random key (tests; daemons load theirs with LoadKey).
func NewKey() (*Key, error) {
	var k Key
	if _, err := rand.Read(k.secret[:]); err != nil {
		return nil, err
	}
	k.fingerprint()
	return &k, nil
}

func (k *Key) fingerprint() {
	sum := sha256.Sum256(append([]byte("emrfsd-block-key-id"), k.secret[:]...))
	k.id = int32(binary.BigEndian.Uint32(sum[:4]) & 0x7fffffff)
}

// LoadKey reads the key at path, creating it (random, mode 0600) when the
// file does not exist. Daemons that serve the same buckets behind one
// address share the file's content, so their block ids and tokens agree.
func LoadKey(path string) (*Key, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, iofs.ErrNotExist) {
		k, err := NewKey()
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			if errors.Is(err, iofs.ErrExist) {
				return LoadKey(path) // another process created it meanwhile
			}
			return nil, err
		}
		_, werr := f.Write(k.secret[:])
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(path)
			return nil, werr
		}
		return k, nil
	}
	if err != nil {
		return nil, err
	}
	if len(raw) != KeySize {
		return nil, fmt.Errorf("block key %s: %d bytes, want %d", path, len(raw), KeySize)
	}
	var k Key
	copy(k.secret[:], raw)
	clear(raw)
	k.fingerprint()
	return &k, nil
}

func (k *Key) mac(label string, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, k.secret[:])
	m.Write([]byte(label))
	for _, p := range parts {
		var n [binary.MaxVarintLen64]byte
		m.Write(n[:binary.PutUvarint(n[:], uint64(len(p)))])
		m.Write(p)
	}
	return m.Sum(nil)
}

// readBlockID derives the id of block index of one version of a file: the
// same on every daemon sharing the key and across restarts, unguessable
// without it, positive and with bit 62 set (write blocks never have it).
func (k *Key) readBlockID(path, etag string, blockSize, index int64) int64 {
	var nums [16]byte
	binary.BigEndian.PutUint64(nums[:8], uint64(blockSize))
	binary.BigEndian.PutUint64(nums[8:], uint64(index))
	sum := k.mac("emrfsd-block-id-v1", []byte(path), []byte(etag), nums[:])
	return int64(binary.BigEndian.Uint64(sum[:8])&(1<<62-1)) | 1<<62
}

// locator is what a read token says a block is.
type locator struct {
	path, etag string
	off, n     int64
}

func (l locator) marshal() []byte {
	b := []byte{1}
	b = binary.AppendUvarint(b, uint64(len(l.path)))
	b = append(b, l.path...)
	b = binary.AppendUvarint(b, uint64(len(l.etag)))
	b = append(b, l.etag...)
	b = binary.AppendUvarint(b, uint64(l.off))
	return binary.AppendUvarint(b, uint64(l.n))
}

func parseLocator(b []byte) (locator, error) {
	bad := errors.New("malformed locator")
	if len(b) == 0 || b[0] != 1 {
		return locator{}, bad
	}
	b = b[1:]
	str := func() (string, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return "", false
		}
		s := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return s, true
	}
	num := func() (int64, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > 1<<62 {
			return 0, false
		}
		b = b[k:]
		return int64(n), true
	}
	var l locator
	var ok1, ok2, ok3, ok4 bool
	l.path, ok1 = str()
	l.etag, ok2 = str()
	l.off, ok3 = num()
	l.n, ok4 = num()
	if !ok1 || !ok2 || !ok3 || !ok4 || len(b) != 0 {
		return locator{}, bad
	}
	return l, nil
}

// tokenClaims are the fields of a block token identifier.
type tokenClaims struct {
	expiry  time.Time
	keyID   int32
	user    string
	pool    string
	blockID int64
	modes   []Mode
	loc     []byte // the locator, empty for write tokens
}

// Hadoop's WritableUtils encodings.

func appendVLong(b []byte, i int64) []byte {
	if i >= -112 && i <= 127 {
		return append(b, byte(i))
	}
	l := -112
	if i < 0 {
		i ^= -1
		l = -120
	}
	for tmp := i; tmp != 0; tmp >>= 8 {
		l--
	}
	b = append(b, byte(l))
	if l < -120 {
		l = -(l + 120)
	} else {
		l = -(l + 112)
	}
	for idx := l; idx != 0; idx-- {
		b = append(b, byte(i>>((idx-1)*8)))
	}
	return b
}

func readVLong(b []byte) (int64, []byte, error) {
	if len(b) == 0 {
		return 0, nil, errors.New("truncated vlong")
	}
	first := int8(b[0])
	b = b[1:]
	if first >= -112 {
		return int64(first), b, nil
	}
	var n int
	neg := first < -120
	if neg {
		n = int(-120 - int(first))
	} else {
		n = int(-112 - int(first))
	}
	if n > 8 || len(b) < n {
		return 0, nil, errors.New("truncated vlong")
	}
	var i int64
	for _, c := range b[:n] {
		i = i<<8 | int64(c)
	}
	if neg {
		i ^= -1
	}
	return i, b[n:], nil
}

func appendWString(b []byte, s string) []byte {
	b = appendVLong(b, int64(len(s)))
	return append(b, s...)
}

func readWString(b []byte) (string, []byte, error) {
	n, b, err := readVLong(b)
	if err != nil {
		return "", nil, err
	}
	if n < 0 || n > int64(len(b)) {
		return "", nil, errors.New("truncated string")
	}
	return string(b[:n]), b[n:], nil
}

func (c tokenClaims) marshal() []byte {
	var b []byte
	b = appendVLong(b, c.expiry.UnixMilli())
	b = appendVLong(b, int64(c.keyID))
	b = appendWString(b, c.user)
	b = appendWString(b, c.pool)
	b = appendVLong(b, c.blockID)
	b = appendVLong(b, int64(len(c.modes)))
	for _, m := range c.modes {
		b = appendWString(b, string(m))
	}
	b = appendVLong(b, 1) // storage types
	b = appendWString(b, "DISK")
	b = appendVLong(b, 1) // storage ids
	b = appendWString(b, storageID)
	b = appendVLong(b, int64(len(c.loc)))
	return append(b, c.loc...)
}

func parseClaims(b []byte) (tokenClaims, error) {
	var c tokenClaims
	var err error
	var v int64
	step := func(f func()) {
		if err == nil {
			f()
		}
	}
	step(func() { v, b, err = readVLong(b); c.expiry = time.UnixMilli(v) })
	step(func() { v, b, err = readVLong(b); c.keyID = int32(v) })
	step(func() { c.user, b, err = readWString(b) })
	step(func() { c.pool, b, err = readWString(b) })
	step(func() { c.blockID, b, err = readVLong(b) })
	var n int64
	step(func() { n, b, err = readVLong(b) })
	if err == nil && (n < 0 || n > 4) {
		err = errors.New("bad mode count")
	}
	for i := int64(0); err == nil && i < n; i++ {
		var m string
		m, b, err = readWString(b)
		c.modes = append(c.modes, Mode(m))
	}
	for range 2 { // storage types, storage ids
		step(func() { n, b, err = readVLong(b) })
		if err == nil && (n < 0 || n > 16) {
			err = errors.New("bad storage count")
		}
		for i := int64(0); err == nil && i < n; i++ {
			_, b, err = readWString(b)
		}
	}
	step(func() { n, b, err = readVLong(b) })
	if err == nil && (n < 0 || n != int64(len(b))) {
		err = errors.New("bad trailer")
	}
	if err != nil {
		return tokenClaims{}, err
	}
	c.loc = b
	return c, nil
}

// issue makes a token for claims.
func (k *Key) issue(c tokenClaims) Token {
	c.keyID = k.id
	id := c.marshal()
	return Token{Identifier: id, Password: k.mac("emrfsd-block-token-v1", id), Kind: TokenKind}
}

// verify checks t for block id in pool and mode, at now, and returns its
// claims.
func (k *Key) verify(t Token, pool string, id int64, mode Mode, now time.Time) (tokenClaims, error) {
	if t.Empty() {
		return tokenClaims{}, fmt.Errorf("%w: no token", ErrBadToken)
	}
	if !hmac.Equal(t.Password, k.mac("emrfsd-block-token-v1", t.Identifier)) {
		return tokenClaims{}, fmt.Errorf("%w: bad password (forged, or issued under another block key)", ErrBadToken)
	}
	c, err := parseClaims(t.Identifier)
	switch {
	case err != nil:
		return c, fmt.Errorf("%w: %v", ErrBadToken, err)
	case c.blockID != id || c.pool != pool:
		return c, fmt.Errorf("%w: issued for block %d of pool %q", ErrBadToken, c.blockID, c.pool)
	case !now.Before(c.expiry):
		return c, fmt.Errorf("%w: expired at %s", ErrBadToken, c.expiry.UTC().Format(time.RFC3339))
	}
	for _, m := range c.modes {
		if m == mode {
			return c, nil
		}
	}
	return c, fmt.Errorf("%w: not issued for %s", ErrBadToken, mode)
}

// storageID names emrfsd's one storage in block locations and tokens.
const storageID = "DS-emrfsd-1"

// StorageID is the storage id block locations carry.
func StorageID() string { return storageID }
