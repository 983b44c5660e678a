package localstore

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// An upload lives in uploads/<id>/: meta.json plus one file per part.
type uploadMeta struct {
	ID       string            `json:"id"`
	Key      string            `json:"key"`
	Started  time.Time         `json:"started"`
	Metadata map[string]string `json:"metadata,omitempty"`
	Type     string            `json:"content_type,omitempty"`
}

func (b *bucket) uploadDir(id string) string {
	return filepath.Join(b.dir, "uploads", id)
}

func validUploadID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

func (b *bucket) createUpload(key string, md map[string]string, ctype string) (string, error) {
	id := randomID()
	dir := b.uploadDir(id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	raw, err := json.Marshal(uploadMeta{ID: id, Key: key, Started: time.Now().UTC(), Metadata: md, Type: ctype})
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), raw, 0o600); err != nil {
		return "", err
	}
	return id, nil
}

func (b *bucket) upload(id, key string) (*uploadMeta, error) {
	if !validUploadID(id) {
		return nil, errNoSuchUpload
	}
	raw, err := os.ReadFile(filepath.Join(b.uploadDir(id), "meta.json"))
	if err != nil {
		return nil, errNoSuchUpload
	}
	var m uploadMeta
	if err := json.Unmarshal(raw, &m); err != nil || m.Key != key {
		return nil, errNoSuchUpload
	}
	return &m, nil
}

func (b *bucket) putPart(id, key string, n int, body io.Reader) (string, error) {
	if _, err := b.upload(id, key); err != nil {
		return "", err
	}
	if n < 1 || n > 10000 {
		return "", errInvalidPart
	}
	f, err := os.CreateTemp(b.uploadDir(id), "part-*.tmp")
	if err != nil {
		return "", err
	}
	h := md5.New()
	_, err = io.Copy(io.MultiWriter(f, h), body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	if err := os.Rename(f.Name(), filepath.Join(b.uploadDir(id), fmt.Sprintf("part-%05d", n))); err != nil {
		return "", err
	}
	etag := hex.EncodeToString(h.Sum(nil))
	if err := os.WriteFile(filepath.Join(b.uploadDir(id), fmt.Sprintf("part-%05d.etag", n)), []byte(etag), 0o600); err != nil {
		return "", err
	}
	return etag, nil
}

type completedPart struct {
	Number int
	ETag   string
}

// complete concatenates the named parts into the object.
func (b *bucket) complete(id, key string, parts []completedPart, ifNoneMatch string) (*objectMeta, error) {
	um, err := b.upload(id, key)
	if err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		return nil, errInvalidPart
	}
	if !sort.SliceIsSorted(parts, func(i, j int) bool { return parts[i].Number < parts[j].Number }) {
		return nil, errInvalidPart
	}
	if ifNoneMatch == "*" {
		if _, err := b.head(key); err == nil {
			return nil, errPrecondition
		}
	}
	f, err := os.CreateTemp(filepath.Join(b.dir, "objects"), "mpu-*.tmp")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	all := md5.New()
	var size int64
	for _, p := range parts {
		want, err := os.ReadFile(filepath.Join(b.uploadDir(id), fmt.Sprintf("part-%05d.etag", p.Number)))
		if err != nil || strings.Trim(p.ETag, `"`) != string(want) {
			f.Close()
			return nil, errInvalidPart
		}
		raw, _ := hex.DecodeString(string(want))
		all.Write(raw)
		pf, err := os.Open(filepath.Join(b.uploadDir(id), fmt.Sprintf("part-%05d", p.Number)))
		if err != nil {
			f.Close()
			return nil, errInvalidPart
		}
		n, err := io.Copy(f, pf)
		pf.Close()
		if err != nil {
			f.Close()
			return nil, err
		}
		size += n
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	m := &objectMeta{
		Key: key, Size: size, LastModified: time.Now().UTC(), Metadata: um.Metadata, ContentType: um.Type,
		ETag: hex.EncodeToString(all.Sum(nil)) + "-" + strconv.Itoa(len(parts)),
	}
	if err := b.commit(f.Name(), m, ifNoneMatch, ""); err != nil {
		return nil, err
	}
	os.RemoveAll(b.uploadDir(id))
	return m, nil
}

func (b *bucket) abort(id, key string) error {
	if _, err := b.upload(id, key); err != nil {
		return err
	}
	return os.RemoveAll(b.uploadDir(id))
}

func (b *bucket) uploads() []uploadMeta {
	entries, _ := os.ReadDir(filepath.Join(b.dir, "uploads"))
	var out []uploadMeta
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(b.dir, "uploads", e.Name(), "meta.json"))
		if err != nil {
			continue
		}
		var m uploadMeta
		if json.Unmarshal(raw, &m) == nil {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
