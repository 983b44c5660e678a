package dfs

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"strings"
	"testing"

	"github.com/emrfsd/emrfsd/internal/errs"
)

func TestErrorTable(t *testing.T) {
	pe := func(err error) error { return &iofs.PathError{Op: "stat", Path: "/b/k", Err: err} }
	cases := []struct {
		err   error
		class string
		msg   string // substring
	}{
		{pe(iofs.ErrNotExist), "java.io.FileNotFoundException", "/b/k"},
		{pe(iofs.ErrExist), "org.apache.hadoop.fs.FileAlreadyExistsException", "/b/k"},
		{pe(errs.ErrNotDir), "org.apache.hadoop.fs.ParentNotDirectoryException", "/b/k"},
		{pe(errs.ErrNotEmpty), "org.apache.hadoop.fs.PathIsNotEmptyDirectoryException", "/b/k"},
		{pe(errs.ErrIsDir), "org.apache.hadoop.fs.FileAlreadyExistsException", "/b/k"},
		{pe(iofs.ErrPermission), "org.apache.hadoop.security.AccessControlException", "/b/k"},
		{pe(iofs.ErrInvalid), "org.apache.hadoop.HadoopIllegalArgumentException", "/b/k"},
		{pe(errors.ErrUnsupported), "java.lang.UnsupportedOperationException", "/b/k"},
		{pe(errs.ErrIntegrity), "java.io.IOException", "integrity"},
		{pe(errs.ErrKeyUnavailable), "java.io.IOException", "encryption key"},
		{pe(errs.ErrKeyMismatch), "java.io.IOException", "encryption key"},
		{pe(errs.ErrUnsupportedAlgorithm), "java.io.IOException", "algorithm"},
		{pe(errs.ErrNotEncrypted), "java.io.IOException", "not encrypted"},
		{pe(errs.ErrSSENotConfirmed), "java.io.IOException", "server-side encryption"},
		{context.DeadlineExceeded, "java.io.IOException", "deadline"},
		{errors.New("boom\nsecond line"), "java.io.IOException", "boom"},
		{Failf(ErrDenied, "Permission denied: user=u, access=WRITE, inode=%q:o:g:drwxr-xr-x", "/b"), "org.apache.hadoop.security.AccessControlException", "Permission denied: user=u, access=WRITE"},
		{Failf(ErrAlreadyBeingCreated, "owned"), "org.apache.hadoop.hdfs.protocol.AlreadyBeingCreatedException", "owned"},
		{Failf(ErrLeaseExpired, "No lease"), "org.apache.hadoop.hdfs.server.namenode.LeaseExpiredException", "No lease"},
		{Failf(ErrIllegalArgument, "bad"), "org.apache.hadoop.HadoopIllegalArgumentException", "bad"},
		{Failf(ErrInvalidPath, "Invalid path name"), "org.apache.hadoop.fs.InvalidPathException", "Invalid path name"},
		{Failf(ErrIO, "%s", msgXattrNotFound), "java.io.IOException", msgXattrNotFound},
		{Failf(iofs.ErrNotExist, "File does not exist: /x"), "java.io.FileNotFoundException", "File does not exist: /x"},
		{fmt.Errorf("wrapped: %w", Failf(ErrLeaseExpired, "inner")), "org.apache.hadoop.hdfs.server.namenode.LeaseExpiredException", "wrapped: inner"},
	}
	for _, c := range cases {
		class, msg := Exception(c.err)
		if class != c.class || !strings.Contains(msg, c.msg) || strings.Contains(msg, "\n") {
			t.Errorf("%v: got (%s, %q), want (%s, ~%q)", c.err, class, msg, c.class, c.msg)
		}
	}
	// Exact texts clients match on by prefix.
	if _, msg := Exception(Failf(ErrIO, "%s", msgXattrRemoveNotFound)); msg != "No matching attributes found for remove operation" {
		t.Errorf("remove xattr message %q", msg)
	}
}

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{"/": "/", "/a//b/": "/a/b", "/a/b": "/a/b"} {
		if got, err := CleanPath(in); err != nil || got != want {
			t.Errorf("CleanPath(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "a/b", "/a/../b", "/a/./b", "/a\x00b"} {
		if _, err := CleanPath(in); !errors.Is(err, ErrInvalidPath) {
			t.Errorf("CleanPath(%q) = %v", in, err)
		}
	}
}

func TestModeString(t *testing.T) {
	for perm, want := range map[uint32]string{0755: "drwxr-xr-x", 01777: "drwxrwxrwt", 01770: "drwxrwx--T"} {
		if got := ModeString(true, perm); got != want {
			t.Errorf("%o: %s, want %s", perm, got, want)
		}
	}
}

func TestPathLimits(t *testing.T) {
	long := "/" + strings.Repeat("a", MaxPathLength)
	_, err := CleanPath(long)
	if !errors.Is(err, ErrPathTooLong) {
		t.Fatalf("8001-byte path: %v", err)
	}
	if class, msg := Exception(err); class != ExIO || len(msg) > 400 || !strings.Contains(msg, "Pathname too long") {
		t.Errorf("too-long path reported as %s %q (%d bytes)", class, Clip(msg), len(msg))
	}
	if _, err := CleanPath(strings.Repeat("/a", MaxPathDepth+1)); !errors.Is(err, ErrPathTooLong) {
		t.Errorf("%d levels: %v", MaxPathDepth+1, err)
	}
	if _, err := CleanPath(strings.Repeat("/a", MaxPathDepth)); err != nil {
		t.Errorf("%d levels: %v", MaxPathDepth, err)
	}
	_, err = CleanPath(strings.Repeat("x", 20000))
	if _, msg := Exception(err); len(msg) > 400 {
		t.Errorf("invalid path echoed whole: %d bytes", len(msg))
	}
	n := &Namespace{opts: Options{MaxComponentLength: 255}}
	if err := n.checkNewName("/b/" + strings.Repeat("c", 255)); err != nil {
		t.Errorf("255-byte name: %v", err)
	}
	err = n.checkNewName("/b/d/" + strings.Repeat("c", 256) + "/e")
	if class, msg := Exception(err); class != ExComponentTooLong ||
		!strings.Contains(msg, "in directory /b/d is exceeded: limit=255 length=256") {
		t.Errorf("256-byte name: %s %q", class, msg)
	}
	if err := (&Namespace{}).checkNewName("/b/" + strings.Repeat("c", 1000)); err != nil {
		t.Errorf("no limit configured: %v", err)
	}
}
