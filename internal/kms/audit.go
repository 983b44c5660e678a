package kms

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// AuditProperty is the configuration property naming the audit log file.
const AuditProperty = "emrfsd.kms.audit.log"

// AuditRecord is one line of the audit log. The field set is fixed; it never
// includes key material (plaintext or wrapped).
type AuditRecord struct {
	Time    time.Time         `json:"time"`    // RFC 3339 with nanoseconds, UTC
	Op      string            `json:"op"`      // GenerateDataKey, Decrypt, DescribeKey, LegacyRead
	KeyID   string            `json:"key_id"`  // as requested; for Decrypt without one, the ARN if known
	Context map[string]string `json:"context"` // encryption context, {} when none (LegacyRead: the material description)
	Bucket  string            `json:"bucket"`  // object being served (WithObject), "" if none
	Key     string            `json:"key"`
	Outcome string            `json:"outcome"` // "ok", a service error code, or a class
	// Algorithm and Wrap are the content and key-wrap algorithms of an
	// object read in a legacy format (LegacyRead records only).
	Algorithm string `json:"algorithm,omitempty"`
	Wrap      string `json:"wrap,omitempty"`
}

// OpLegacyRead is the op of a LegacyRead record.
const OpLegacyRead = "LegacyRead"

// AuditLog appends JSON lines to a file. It is safe for concurrent use; each
// record is written with a single write call under a mutex.
type AuditLog struct {
	mu  sync.Mutex
	f   *os.File
	now func() time.Time
	log *slog.Logger // reports records that could not be written
}

// AuditLogOptions configure opening an audit log.
type AuditLogOptions struct {
	// Logger receives the records the log failed to write (see Audited).
	// nil discards them; nothing here falls back to slog.Default.
	Logger *slog.Logger
}

// OpenAuditLog opens the audit log at path with default options (write
// failures are not logged anywhere else). See AuditLogOptions.Open.
func OpenAuditLog(path string) (*AuditLog, error) { return AuditLogOptions{}.Open(path) }

// Open opens (creating with mode 0600, never truncating) the audit log at
// path for appending. An existing file must be a regular file owned by the
// daemon's user: a file owned by another uid is refused (someone else could
// read or rewrite the trail), and an existing file with a wider mode is
// restricted to 0600, since the mode given at creation applies only to new
// files. The checks run on the opened file, not on the path, so the file
// checked is the file written.
func (o AuditLogOptions) Open(path string) (*AuditLog, error) {
	return o.open(path, os.Getuid())
}

// open is Open for a daemon running as uid (tests pass another).
func (o AuditLogOptions) open(path string, uid int) (*AuditLog, error) {
	if path == "" {
		return nil, fmt.Errorf("kms audit: %s is empty", AuditProperty)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("kms audit: %w", err)
	}
	if err := secureAuditFile(f, path, uid); err != nil {
		f.Close()
		return nil, err
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &AuditLog{f: f, now: time.Now, log: log}, nil
}

// secureAuditFile checks the opened audit log: a regular file owned by uid,
// then restricted to mode 0600.
func secureAuditFile(f *os.File, path string, uid int) error {
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("kms audit: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("kms audit: %s (%s) is not a regular file (%v); refusing to use it as the audit log", path, AuditProperty, st.Mode().Type())
	}
	if owner, ok := fileOwner(st); ok && owner != uid {
		return fmt.Errorf("kms audit: %s (%s) is owned by uid %d, not by uid %d running emrfsd; refusing to append to another user's file (chown it, or point %s elsewhere)",
			path, AuditProperty, owner, uid, AuditProperty)
	}
	if st.Mode().Perm() != 0o600 {
		if err := f.Chmod(0o600); err != nil {
			return fmt.Errorf("kms audit: restrict %s to mode 0600: %w", path, err)
		}
	}
	return nil
}

// Close closes the file. Later writes fail (and are reported through slog).
func (l *AuditLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// Write appends one record; Time is filled in (UTC) when zero.
func (l *AuditLog) Write(r AuditRecord) error {
	if r.Time.IsZero() {
		r.Time = l.now()
	}
	r.Time = r.Time.UTC()
	if r.Context == nil {
		r.Context = map[string]string{}
	}
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("kms audit: encode: %w", err)
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return errors.New("kms audit: log is closed")
	}
	if _, err := l.f.Write(line); err != nil {
		return fmt.Errorf("kms audit: %w", err)
	}
	return nil
}

// LegacyRead records that the object named by ctx (WithObject) is being
// read in a legacy S3 Encryption Client format (fs.s3.cse.legacyRead.enabled):
// content algorithm cekAlg, key wrap wrapAlg, material description matdesc.
// It is a record of the read itself, not a KMS call: outcome "ok" says the
// read was allowed to start.
func (l *AuditLog) LegacyRead(ctx context.Context, cekAlg, wrapAlg string, matdesc map[string]string) error {
	bucket, key := ObjectFrom(ctx)
	return l.Write(AuditRecord{Op: OpLegacyRead, Context: copyContext(matdesc), Bucket: bucket, Key: key,
		Outcome: OutcomeOK, Algorithm: cekAlg, Wrap: wrapAlg})
}

// ReadAudit parses an audit log file.
func ReadAudit(path string) ([]AuditRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("kms audit: %w", err)
	}
	defer f.Close()
	var out []AuditRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for n := 1; sc.Scan(); n++ {
		var r AuditRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("kms audit: %s line %d: %w", path, n, err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("kms audit: %s: %w", path, err)
	}
	return out, nil
}

// CountOps counts audit records per op.
func CountOps(recs []AuditRecord) map[string]int {
	m := make(map[string]int)
	for _, r := range recs {
		m[r.Op]++
	}
	return m
}

// Audited wraps a Service and records every call in an AuditLog. A failed
// audit write is reported through slog; the KMS result is still returned
// (the call has already happened at the key service).
type Audited struct {
	inner Service
	log   *AuditLog
}

var (
	_ Service      = (*Audited)(nil)
	_ ARNDecrypter = (*Audited)(nil)
)

// NewAudited returns inner wrapped so every call is recorded in log.
func NewAudited(inner Service, log *AuditLog) *Audited {
	return &Audited{inner: inner, log: log}
}

func copyContext(encCtx map[string]string) map[string]string {
	m := make(map[string]string, len(encCtx))
	for k, v := range encCtx {
		m[k] = v
	}
	return m
}

func (a *Audited) record(ctx context.Context, op, keyID string, encCtx map[string]string, err error) {
	bucket, key := ObjectFrom(ctx)
	r := AuditRecord{Op: op, KeyID: keyID, Context: copyContext(encCtx), Bucket: bucket, Key: key, Outcome: Outcome(err)}
	if werr := a.log.Write(r); werr != nil {
		a.log.log.ErrorContext(ctx, "kms audit write failed", "op", op, "key_id", keyID, "err", werr)
	}
}

// GenerateDataKey calls the wrapped service and records the call.
func (a *Audited) GenerateDataKey(ctx context.Context, keyID string, encCtx map[string]string) ([]byte, []byte, error) {
	pt, wrapped, err := a.inner.GenerateDataKey(ctx, keyID, encCtx)
	a.record(ctx, "GenerateDataKey", keyID, encCtx, err)
	return pt, wrapped, err
}

// Decrypt calls the wrapped service and records the call.
func (a *Audited) Decrypt(ctx context.Context, keyID string, wrapped []byte, encCtx map[string]string) ([]byte, error) {
	pt, _, err := a.DecryptARN(ctx, keyID, wrapped, encCtx)
	return pt, err
}

// DecryptARN is Decrypt that also returns the key ARN when the wrapped
// service reports it ("" otherwise).
func (a *Audited) DecryptARN(ctx context.Context, keyID string, wrapped []byte, encCtx map[string]string) ([]byte, string, error) {
	var (
		pt  []byte
		arn string
		err error
	)
	if d, ok := a.inner.(ARNDecrypter); ok {
		pt, arn, err = d.DecryptARN(ctx, keyID, wrapped, encCtx)
	} else {
		pt, err = a.inner.Decrypt(ctx, keyID, wrapped, encCtx)
	}
	logged := keyID
	if logged == "" {
		logged = arn
	}
	a.record(ctx, "Decrypt", logged, encCtx, err)
	return pt, arn, err
}

// DescribeKey calls the wrapped service and records the call.
func (a *Audited) DescribeKey(ctx context.Context, keyID string) (KeyInfo, error) {
	info, err := a.inner.DescribeKey(ctx, keyID)
	a.record(ctx, "DescribeKey", keyID, nil, err)
	return info, err
}
