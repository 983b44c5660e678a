package kms

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditLogExistingFileRestricted: an existing log with a wide mode is
// restricted to 0600 when opened (the mode given to OpenFile only applies to
// files it creates).
func TestAuditLogExistingFileRestricted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(path, []byte(`{"op":"earlier"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil { // past any umask
		t.Fatal(err)
	}
	l, err := OpenAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("existing audit log kept mode %v, want 0600", st.Mode().Perm())
	}
	if err := l.Write(AuditRecord{Op: "Decrypt"}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(raw), `{"op":"earlier"}`+"\n") || strings.Count(string(raw), "\n") != 2 {
		t.Fatalf("existing content not kept and appended to: %q", raw)
	}
}

// TestAuditLogForeignOwnerRefused: a log owned by another uid is refused
// with an error naming the file, and its mode and content are left alone.
func TestAuditLogForeignOwnerRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(path, []byte("theirs\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	// The daemon's uid as seen by the check is not the file's owner.
	_, err := AuditLogOptions{}.open(path, os.Getuid()+1)
	if err == nil {
		t.Fatal("audit log owned by another uid accepted")
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "owned by uid") {
		t.Fatalf("error does not name the file and the owner: %v", err)
	}
	st, _ := os.Stat(path)
	raw, _ := os.ReadFile(path)
	if st.Mode().Perm() != 0o644 || string(raw) != "theirs\n" {
		t.Fatalf("refused file was changed: mode %v, content %q", st.Mode().Perm(), raw)
	}
}

// TestAuditLogForeignOwnerRefusedChown does the same with a real chown when
// the test runs as root.
func TestAuditLogForeignOwnerRefusedChown(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to chown a file to another uid (TestAuditLogForeignOwnerRefused covers the check)")
	}
	path := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenAuditLog(path); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "uid 4242") {
		t.Fatalf("audit log owned by uid 4242: %v", err)
	}
}

// TestAuditLogNotRegularRefused: a device (here /dev/null) is never used as
// the audit log, nor chmod-ed.
func TestAuditLogNotRegularRefused(t *testing.T) {
	before, err := os.Stat(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenAuditLog(os.DevNull); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("%s as audit log: %v", os.DevNull, err)
	}
	after, _ := os.Stat(os.DevNull)
	if after.Mode() != before.Mode() {
		t.Fatalf("%s mode changed from %v to %v", os.DevNull, before.Mode(), after.Mode())
	}
}

// failingService fails every call as unavailable.
type failingService struct{}

func (failingService) GenerateDataKey(context.Context, string, map[string]string) ([]byte, []byte, error) {
	return nil, nil, errors.New("down")
}
func (failingService) Decrypt(context.Context, string, []byte, map[string]string) ([]byte, error) {
	return nil, errors.New("down")
}
func (failingService) DescribeKey(context.Context, string) (KeyInfo, error) {
	return KeyInfo{}, errors.New("down")
}

// TestAuditWriteFailureGoesToGivenLogger: a record that cannot be written is
// reported through the logger the log was opened with, never through the
// process-wide default logger.
func TestAuditWriteFailureGoesToGivenLogger(t *testing.T) {
	var given, global bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&global, nil)))
	defer slog.SetDefault(prev)

	l, err := AuditLogOptions{Logger: slog.New(slog.NewTextHandler(&given, nil))}.Open(filepath.Join(t.TempDir(), "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	a := NewAudited(failingService{}, l)
	l.Close() // every later write fails
	_, _ = a.DescribeKey(context.Background(), "alias/x")
	if !strings.Contains(given.String(), "kms audit write failed") || !strings.Contains(given.String(), "DescribeKey") {
		t.Fatalf("given logger got %q", given.String())
	}
	if global.Len() != 0 {
		t.Fatalf("default logger got %q", global.String())
	}

	// Without a logger the failure is dropped, still not sent to the default.
	l2, err := OpenAuditLog(filepath.Join(t.TempDir(), "audit2.log"))
	if err != nil {
		t.Fatal(err)
	}
	l2.Close()
	_, _ = NewAudited(failingService{}, l2).DescribeKey(context.Background(), "alias/x")
	if global.Len() != 0 {
		t.Fatalf("default logger got %q", global.String())
	}
}
