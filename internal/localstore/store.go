package localstore

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// objectMeta is what the store keeps about an object, in KEY's .json file.
type objectMeta struct {
	Key          string            `json:"key"`
	Size         int64             `json:"size"`
	ETag         string            `json:"etag"` // without quotes
	LastModified time.Time         `json:"last_modified"`
	ContentType  string            `json:"content_type,omitempty"`
	Metadata     map[string]string `json:"metadata,omitempty"` // user metadata, lower-case keys without x-amz-meta-
}

type bucket struct {
	name    string
	dir     string
	created time.Time
	mu      sync.RWMutex
	objects map[string]*objectMeta
	keys    []string // sorted
}

// Store is a directory of buckets.
type Store struct {
	dir     string
	mu      sync.RWMutex
	buckets map[string]*bucket
}

var (
	errNoSuchBucket = errors.New("NoSuchBucket")
	errNoSuchKey    = errors.New("NoSuchKey")
	errPrecondition = errors.New("PreconditionFailed")
	errNoSuchUpload = errors.New("NoSuchUpload")
	errInvalidPart  = errors.New("InvalidPart")
	errBucketExists = errors.New("BucketAlreadyOwnedByYou")
	errNotEmpty     = errors.New("BucketNotEmpty")
)

// Open opens (creating if needed) a store in dir and loads its index.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(dir, "buckets"), 0o700); err != nil {
		return nil, fmt.Errorf("localstore: %w", err)
	}
	s := &Store{dir: dir, buckets: map[string]*bucket{}}
	entries, err := os.ReadDir(filepath.Join(dir, "buckets"))
	if err != nil {
		return nil, fmt.Errorf("localstore: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		b, err := loadBucket(filepath.Join(dir, "buckets", e.Name()), e.Name())
		if err != nil {
			return nil, err
		}
		s.buckets[b.name] = b
	}
	return s, nil
}

func loadBucket(dir, name string) (*bucket, error) {
	b := &bucket{name: name, dir: dir, objects: map[string]*objectMeta{}}
	if st, err := os.Stat(dir); err == nil {
		b.created = st.ModTime()
	}
	if err := os.MkdirAll(filepath.Join(dir, "objects"), 0o700); err != nil {
		return nil, err
	}
	// Unfinished uploads and temp files from a previous run are discarded
	// from the index but their directories stay until aborted or listed.
	err := filepath.WalkDir(filepath.Join(dir, "objects"), func(p string, d iofs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if strings.HasSuffix(p, ".tmp") {
			return os.Remove(p)
		}
		if !strings.HasSuffix(p, ".json") {
			return nil
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var m objectMeta
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("localstore: %s: %w", p, err)
		}
		b.objects[m.Key] = &m
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("localstore: load bucket %s: %w", name, err)
	}
	for k := range b.objects {
		b.keys = append(b.keys, k)
	}
	sort.Strings(b.keys)
	return b, nil
}

func (s *Store) bucket(name string) (*bucket, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.buckets[name]
	if !ok {
		return nil, errNoSuchBucket
	}
	return b, nil
}

// CreateBucket creates a bucket; creating an existing one is an error.
func (s *Store) CreateBucket(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[name]; ok {
		return errBucketExists
	}
	dir := filepath.Join(s.dir, "buckets", name)
	if err := os.MkdirAll(filepath.Join(dir, "objects"), 0o700); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "uploads"), 0o700); err != nil {
		return err
	}
	s.buckets[name] = &bucket{name: name, dir: dir, created: time.Now(), objects: map[string]*objectMeta{}}
	return nil
}

// EnsureBucket creates a bucket unless it exists.
func (s *Store) EnsureBucket(name string) error {
	if err := s.CreateBucket(name); err != nil && !errors.Is(err, errBucketExists) {
		return err
	}
	return nil
}

// Buckets lists bucket names, sorted.
func (s *Store) Buckets() []*bucket {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*bucket, 0, len(s.buckets))
	for _, b := range s.buckets {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// objectPath is where an object's bytes live: a digest of the key, so any
// key (including "dir/" markers and "a" next to "a/b") maps to a plain file.
func (b *bucket) objectPath(key string) string {
	sum := sha256.Sum256([]byte(key))
	h := hex.EncodeToString(sum[:])
	return filepath.Join(b.dir, "objects", h[:2], h)
}

func (b *bucket) head(key string) (*objectMeta, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	m, ok := b.objects[key]
	if !ok {
		return nil, errNoSuchKey
	}
	c := *m
	return &c, nil
}

// open returns the object's meta and a file positioned at its start.
func (b *bucket) open(key string) (*objectMeta, *os.File, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	m, ok := b.objects[key]
	if !ok {
		return nil, nil, errNoSuchKey
	}
	f, err := os.Open(b.objectPath(key) + ".data")
	if err != nil {
		return nil, nil, err
	}
	c := *m
	return &c, f, nil
}

func randomID() string {
	var r [16]byte
	if _, err := rand.Read(r[:]); err != nil {
		panic(err) // crypto/rand never fails on Linux; a failure is unrecoverable
	}
	return hex.EncodeToString(r[:])
}

// stage streams body into a temp file in the bucket, returning its path,
// size and MD5.
func (b *bucket) stage(body io.Reader) (path string, size int64, sum []byte, err error) {
	dir := filepath.Join(b.dir, "objects")
	f, err := os.CreateTemp(dir, "put-*.tmp")
	if err != nil {
		return "", 0, nil, err
	}
	h := md5.New()
	n, err := io.Copy(io.MultiWriter(f, h), body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", 0, nil, err
	}
	return f.Name(), n, h.Sum(nil), nil
}

// commit atomically installs a staged file as key, honouring ifNoneMatch
// ("*" = only if absent) and ifMatch (an ETag that must be current).
func (b *bucket) commit(tmp string, m *objectMeta, ifNoneMatch, ifMatch string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	cur, exists := b.objects[m.Key]
	if ifNoneMatch == "*" && exists {
		os.Remove(tmp)
		return errPrecondition
	}
	if ifMatch != "" && (!exists || strings.Trim(ifMatch, `"`) != cur.ETag) {
		os.Remove(tmp)
		return errPrecondition
	}
	p := b.objectPath(m.Key)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		os.Remove(tmp)
		return err
	}
	raw, err := json.Marshal(m)
	if err != nil {
		os.Remove(tmp)
		return err
	}
	// Data first, then the meta file: a crash between the two leaves the
	// old meta pointing at new data of a different size, so the meta is
	// written to a temp name and renamed last.
	if err := os.Rename(tmp, p+".data"); err != nil {
		os.Remove(tmp)
		return err
	}
	mt := p + ".json.tmp"
	if err := os.WriteFile(mt, raw, 0o600); err != nil {
		return err
	}
	if err := os.Rename(mt, p+".json"); err != nil {
		return err
	}
	if !exists {
		i := sort.SearchStrings(b.keys, m.Key)
		b.keys = append(b.keys, "")
		copy(b.keys[i+1:], b.keys[i:])
		b.keys[i] = m.Key
	}
	b.objects[m.Key] = m
	return nil
}

func (b *bucket) remove(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.objects[key]; !ok {
		return
	}
	p := b.objectPath(key)
	os.Remove(p + ".json")
	os.Remove(p + ".data")
	delete(b.objects, key)
	i := sort.SearchStrings(b.keys, key)
	if i < len(b.keys) && b.keys[i] == key {
		b.keys = append(b.keys[:i], b.keys[i+1:]...)
	}
}

// listResult is one page of ListObjectsV2.
type listResult struct {
	objects   []*objectMeta
	prefixes  []string
	truncated bool
	next      string // continuation: the last key or prefix returned
}

func (b *bucket) list(prefix, delimiter, after string, max int) listResult {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var r listResult
	i := sort.SearchStrings(b.keys, prefix)
	if after != "" {
		if j := sort.Search(len(b.keys), func(k int) bool { return b.keys[k] > after }); j > i {
			i = j
		}
	}
	count := 0
	for ; i < len(b.keys); i++ {
		k := b.keys[i]
		if !strings.HasPrefix(k, prefix) {
			break
		}
		if delimiter != "" {
			if d := strings.Index(k[len(prefix):], delimiter); d >= 0 {
				cp := k[:len(prefix)+d+len(delimiter)]
				if count == max {
					r.truncated = true
					break
				}
				r.prefixes = append(r.prefixes, cp)
				r.next = cp
				count++
				// Skip every key under this common prefix.
				j := sort.Search(len(b.keys), func(k int) bool { return b.keys[k] > cp && !strings.HasPrefix(b.keys[k], cp) })
				i = j - 1
				continue
			}
		}
		if count == max {
			r.truncated = true
			break
		}
		c := *b.objects[k]
		r.objects = append(r.objects, &c)
		r.next = k
		count++
	}
	return r
}
