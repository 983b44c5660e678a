package uploadjournal

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/emrfsd/emrfsd/internal/s3api"
)

type record struct {
	Op     string `json:"op"` // "intent" | "start" | "end"
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	ID     string `json:"upload_id"`
}

// Journal is an s3api.API that records multipart upload lifecycles.
type Journal struct {
	s3api.API
	mu       sync.Mutex
	f        *os.File
	path     string
	live     map[string]bool   // upload ids this run started and has not ended
	creating map[[2]string]int // (bucket, key) → creates in flight
}

// Key is a bucket and object key.
type Key struct{ Bucket, Key string }

// Aborter is what Recover needs.
type Aborter interface {
	AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, opts ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
	ListMultipartUploads(ctx context.Context, in *s3.ListMultipartUploadsInput, opts ...func(*s3.Options)) (*s3.ListMultipartUploadsOutput, error)
}

// Recover aborts the uploads a previous run left open (per the journal at
// path) and returns how many it aborted. An upload S3 no longer knows
// (already aborted or completed) counts as done.
//
// pending are the keys of intents without a start: S3 may still create
// such an upload after the crashed run is gone (it finishes a request
// whose client has died), later than this listing; SweepLate looks again.
func Recover(ctx context.Context, c Aborter, path string) (n int, pending []Key, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, err
	}
	open := map[string]record{}
	var order []string
	intents := map[[2]string]int{} // (bucket, key) → intents not yet matched by a start
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r record
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue // a torn last line from a crash
		}
		switch r.Op {
		case "intent":
			intents[[2]string{r.Bucket, r.Key}]++
		case "start":
			if k := [2]string{r.Bucket, r.Key}; intents[k] > 0 {
				intents[k]--
			}
			open[r.ID] = r
			order = append(order, r.ID)
		case "end":
			delete(open, r.ID)
		}
	}
	f.Close()
	for _, id := range order {
		r, ok := open[id]
		if !ok {
			continue
		}
		_, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(r.Bucket), Key: aws.String(r.Key), UploadId: aws.String(r.ID)})
		var nsu *types.NoSuchUpload
		if err != nil && !errors.As(err, &nsu) {
			return n, nil, fmt.Errorf("uploadjournal: abort orphan upload of %s/%s: %w", r.Bucket, r.Key, err)
		}
		n++
	}
	// An intent without its start: the daemon died while S3 was creating
	// the upload. Its id is unknown; find uploads of that key.
	var pendingKeys []Key
	for k, pending := range intents {
		if pending == 0 {
			continue
		}
		pendingKeys = append(pendingKeys, Key{k[0], k[1]})
		out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(k[0]), Prefix: aws.String(k[1])})
		if err != nil {
			return n, nil, fmt.Errorf("uploadjournal: list uploads of %s/%s: %w", k[0], k[1], err)
		}
		for _, u := range out.Uploads {
			if aws.ToString(u.Key) != k[1] {
				continue
			}
			_, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(k[0]), Key: u.Key, UploadId: u.UploadId})
			var nsu *types.NoSuchUpload
			if err != nil && !errors.As(err, &nsu) {
				return n, nil, fmt.Errorf("uploadjournal: abort orphan upload of %s/%s: %w", k[0], k[1], err)
			}
			n++
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return n, pendingKeys, err
	}
	return n, pendingKeys, nil
}

// Open starts a fresh journal at path (call Recover first).
func Open(inner s3api.API, path string) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return &Journal{API: inner, f: f, path: path, live: map[string]bool{}, creating: map[[2]string]int{}}, nil
}

// SweepLate aborts uploads of the keys Recover left pending that this run
// did not start (and is not starting now), and returns how many.
func (j *Journal) SweepLate(ctx context.Context, keys []Key) (int, error) {
	n := 0
	for _, k := range keys {
		out, err := j.API.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(k.Bucket), Prefix: aws.String(k.Key)})
		if err != nil {
			return n, fmt.Errorf("uploadjournal: list uploads of %s/%s: %w", k.Bucket, k.Key, err)
		}
		for _, u := range out.Uploads {
			if aws.ToString(u.Key) != k.Key {
				continue
			}
			j.mu.Lock()
			ours := j.live[aws.ToString(u.UploadId)] || j.creating[[2]string{k.Bucket, k.Key}] > 0
			j.mu.Unlock()
			if ours {
				continue
			}
			_, err := j.API.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(k.Bucket), Key: u.Key, UploadId: u.UploadId})
			var nsu *types.NoSuchUpload
			if err != nil && !errors.As(err, &nsu) {
				return n, fmt.Errorf("uploadjournal: abort late orphan upload of %s/%s: %w", k.Bucket, k.Key, err)
			}
			n++
		}
	}
	return n, nil
}

func (j *Journal) track(f func()) {
	j.mu.Lock()
	defer j.mu.Unlock()
	f()
}

func (j *Journal) append(r record) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(append(raw, '\n')); err != nil {
		return err
	}
	return j.f.Sync()
}

// Close closes the journal file.
func (j *Journal) Close() error { return j.f.Close() }

// CreateMultipartUpload records the intent before asking S3 (a crash in
// between leaves an upload whose id the journal never saw: Recover finds it
// by key) and the new upload before anyone uploads to it.
func (j *Journal) CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	k := [2]string{aws.ToString(in.Bucket), aws.ToString(in.Key)}
	j.track(func() { j.creating[k]++ })
	defer j.track(func() { j.creating[k]-- })
	if err := j.append(record{Op: "intent", Bucket: aws.ToString(in.Bucket), Key: aws.ToString(in.Key)}); err != nil {
		return nil, fmt.Errorf("uploadjournal: %w", err)
	}
	out, err := j.API.CreateMultipartUpload(ctx, in, opts...)
	if err != nil {
		return out, err
	}
	j.track(func() { j.live[aws.ToString(out.UploadId)] = true })
	if jerr := j.append(record{Op: "start", Bucket: aws.ToString(in.Bucket), Key: aws.ToString(in.Key), ID: aws.ToString(out.UploadId)}); jerr != nil {
		// Without a journal entry a crash would orphan it: refuse.
		j.API.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: in.Bucket, Key: in.Key, UploadId: out.UploadId})
		return nil, fmt.Errorf("uploadjournal: %w", jerr)
	}
	return out, nil
}

// CompleteMultipartUpload records the end of an upload.
func (j *Journal) CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	out, err := j.API.CompleteMultipartUpload(ctx, in, opts...)
	if err == nil {
		j.track(func() { delete(j.live, aws.ToString(in.UploadId)) })
		j.append(record{Op: "end", Bucket: aws.ToString(in.Bucket), Key: aws.ToString(in.Key), ID: aws.ToString(in.UploadId)})
	}
	return out, err
}

// AbortMultipartUpload records the end of an upload.
func (j *Journal) AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, opts ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	out, err := j.API.AbortMultipartUpload(ctx, in, opts...)
	var nsu *types.NoSuchUpload
	if err == nil || errors.As(err, &nsu) {
		j.track(func() { delete(j.live, aws.ToString(in.UploadId)) })
		j.append(record{Op: "end", Bucket: aws.ToString(in.Bucket), Key: aws.ToString(in.Key), ID: aws.ToString(in.UploadId)})
	}
	return out, err
}
