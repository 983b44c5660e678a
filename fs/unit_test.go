package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/internal/s3api"
	"github.com/emrfsd/emrfsd/providers"
)

func unitFS(t *testing.T, buckets map[string]string) *FS {
	t.Helper()
	f, err := New(context.Background(), Options{
		S3:       nilS3{},
		Buckets:  buckets,
		Provider: func(context.Context, string) (providers.Provider, error) { return &testProvider{}, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// nilS3 satisfies s3api.API for tests that never reach S3.
type nilS3 struct{ s3api.API }

func TestResolve(t *testing.T) {
	f := unitFS(t, map[string]string{"data": "bucket-1", "logs": "bucket-2"})
	tests := []struct {
		name, in             string
		top, bucket, key, nm string
		err                  error
	}{
		{name: "root", in: "/"},
		{name: "top", in: "/data", top: "data", bucket: "bucket-1", nm: "data"},
		{name: "key", in: "/data/a/b.txt", top: "data", bucket: "bucket-1", key: "a/b.txt", nm: "b.txt"},
		{name: "unicode", in: "/logs/ü/x y", top: "logs", bucket: "bucket-2", key: "ü/x y", nm: "x y"},
		{name: "unknown top", in: "/other/x", err: iofs.ErrNotExist},
		{name: "relative", in: "data/x", err: iofs.ErrInvalid},
		{name: "empty", in: "", err: iofs.ErrInvalid},
		{name: "trailing slash", in: "/data/x/", err: iofs.ErrInvalid},
		{name: "double slash", in: "/data//x", err: iofs.ErrInvalid},
		{name: "dot", in: "/data/./x", err: iofs.ErrInvalid},
		{name: "dotdot", in: "/data/a/../x", err: iofs.ErrInvalid},
		{name: "nul", in: "/data/a\x00b", err: iofs.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := f.resolve(context.Background(), tc.in)
			if tc.err != nil {
				mustErrIs(t, tc.in, err, tc.err)
				return
			}
			mustOK(t, tc.in, err)
			if l.top != tc.top || l.bucket != tc.bucket || l.key != tc.key || l.name() != tc.nm {
				t.Fatalf("resolve(%q) = %+v name %q", tc.in, l, l.name())
			}
		})
	}
}

func TestLocRelations(t *testing.T) {
	f := unitFS(t, nil)
	l, _ := f.resolve(context.Background(), "/b/x/y/z")
	var chain []string
	for p := l; !p.isRoot(); p = p.parent() {
		chain = append(chain, p.path+"|"+p.key+"|"+p.dirPrefix())
	}
	want := []string{"/b/x/y/z|x/y/z|x/y/z/", "/b/x/y|x/y|x/y/", "/b/x|x|x/", "/b||"}
	if fmtNames(chain) != fmtNames(want) {
		t.Fatalf("parent chain %v, want %v", chain, want)
	}
	top, _ := f.resolve(context.Background(), "/b")
	if c := top.child("k"); c.key != "k" || c.path != "/b/k" || c.bucket != "b" {
		t.Fatalf("child of top: %+v", c)
	}
	a, _ := f.resolve(context.Background(), "/b/a")
	ab, _ := f.resolve(context.Background(), "/b/a/b")
	ax, _ := f.resolve(context.Background(), "/b/ab")
	if !a.contains(ab) || a.contains(ax) || a.contains(a) || ab.contains(a) {
		t.Fatal("contains is wrong")
	}
}

func TestMetaRoundTrip(t *testing.T) {
	perm := uint32(0o1750)
	owner, group := "ünïcode user%20", "grp with space"
	mt := time.UnixMilli(1700000000123)
	at := time.UnixMilli(1700000000999)
	foreign := map[string]string{"x-amz-key-v2": "AAAA", "x-amz-iv": "BBBB", "x-amz-matdesc": "{}"}
	md := metaChange{
		a:        Attrs{Perm: &perm, Owner: &owner, Group: &group, ModTime: &mt, AccessTime: &at},
		setXattr: map[string][]byte{"user.a": []byte("v\x00\xff"), "user.Ab": nil, "trusted.x": []byte("t")},
	}.apply(foreign)
	for k, v := range foreign {
		if md[k] != v {
			t.Fatalf("foreign key %s changed: %q", k, md[k])
		}
	}
	for k, v := range md {
		if k != strings.ToLower(k) {
			t.Fatalf("key %q not lower case (S3 lower-cases header names)", k)
		}
		for _, c := range []byte(v) {
			if c < 0x20 || c > 0x7e {
				t.Fatalf("value of %s not printable ASCII: %q", k, v)
			}
		}
	}
	a := decodeMeta(md)
	if a.owner != owner || a.group != group || !a.hasPerm || a.perm != perm || !a.mtime.Equal(mt) || !a.atime.Equal(at) {
		t.Fatalf("decoded %+v", a)
	}
	if len(a.xattrs) != 3 || string(a.xattrs["user.a"]) != "v\x00\xff" || len(a.xattrs["user.Ab"]) != 0 || string(a.xattrs["trusted.x"]) != "t" {
		t.Fatalf("xattrs %q", a.xattrs)
	}
	if _, ok := a.xattrs["user.Ab"]; !ok {
		t.Fatal("empty-valued xattr lost")
	}
	md2 := metaChange{delXattr: []string{"user.a"}, keepMtime: time.UnixMilli(5)}.apply(md)
	if _, ok := decodeMeta(md2).xattrs["user.a"]; ok {
		t.Fatal("xattr not removed")
	}
	if !decodeMeta(md2).mtime.Equal(mt) {
		t.Fatal("keepMtime overrode a stored mtime")
	}
	if got := decodeMeta(metaChange{keepMtime: time.UnixMilli(5)}.apply(nil)).mtime; !got.Equal(time.UnixMilli(5)) {
		t.Fatalf("keepMtime not recorded: %v", got)
	}
	if !maps.Equal(foreign, map[string]string{"x-amz-key-v2": "AAAA", "x-amz-iv": "BBBB", "x-amz-matdesc": "{}"}) {
		t.Fatal("apply modified its input")
	}
}

func TestMetaMalformedIgnored(t *testing.T) {
	a := decodeMeta(map[string]string{
		metaPerm: "99", metaMtime: "soon", metaXattrPrefix + "zz": "AAAA", metaXattrPrefix + "6162": "!!notbase64",
	})
	if a.hasPerm || !a.mtime.IsZero() || len(a.xattrs) != 0 {
		t.Fatalf("malformed metadata decoded: %+v", a)
	}
}

func TestMetaSizeLimit(t *testing.T) {
	md := newObjectMeta(0o644, "u", "g")
	small := metaChange{setXattr: map[string][]byte{"user.x": make([]byte, 100)}}.apply(md)
	mustOK(t, "small", checkMetaSize(small))
	big := metaChange{setXattr: map[string][]byte{"user.x": make([]byte, 1600)}}.apply(md)
	mustErrIs(t, "big", checkMetaSize(big), iofs.ErrInvalid)
}

func TestXattrNames(t *testing.T) {
	for _, ok := range []string{"user.a", "trusted.x.y", "user." + strings.Repeat("n", 250)} {
		mustOK(t, ok, checkXattrName(ok))
	}
	for _, bad := range []string{"", "nonamespace", ".a", "user.", "user.a\x00", "user.\xff", "user." + strings.Repeat("n", 251)} {
		mustErrIs(t, fmt.Sprintf("%q", bad), checkXattrName(bad), iofs.ErrInvalid)
	}
}

// fake SDK errors, shaped as the SDK returns them.
func opErr(err error) error {
	return &smithy.OperationError{ServiceID: "S3", OperationName: "Op", Err: err}
}

func httpErr(status int, err error) error {
	return opErr(&smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err})
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"NoSuchKey type", opErr(&s3types.NoSuchKey{}), iofs.ErrNotExist},
		{"NotFound type", httpErr(404, &s3types.NotFound{}), iofs.ErrNotExist},
		{"NoSuchBucket type", opErr(&s3types.NoSuchBucket{}), iofs.ErrNotExist},
		{"NoSuchUpload code", httpErr(404, &smithy.GenericAPIError{Code: "NoSuchUpload"}), iofs.ErrNotExist},
		{"404 no code", httpErr(404, errors.New("x")), iofs.ErrNotExist},
		{"412 code", httpErr(412, &smithy.GenericAPIError{Code: "PreconditionFailed"}), iofs.ErrExist},
		{"412 no code", httpErr(412, errors.New("x")), iofs.ErrExist},
		{"409 conflict", httpErr(409, &smithy.GenericAPIError{Code: "ConditionalRequestConflict"}), iofs.ErrExist},
		{"AccessDenied", httpErr(403, &smithy.GenericAPIError{Code: "AccessDenied"}), iofs.ErrPermission},
		{"403 no code", httpErr(403, errors.New("x")), iofs.ErrPermission},
		{"MetadataTooLarge", httpErr(400, &smithy.GenericAPIError{Code: "MetadataTooLarge"}), iofs.ErrInvalid},
		{"MinIO KMS key", httpErr(404, &smithy.GenericAPIError{Code: "kms:KeyNotFound"}), errs.ErrKeyUnavailable},
		{"KMS disabled", httpErr(400, &smithy.GenericAPIError{Code: "KMS.DisabledException"}), errs.ErrKeyUnavailable},
		{"DeleteObjects entry", &codeError{key: "k", code: "AccessDenied"}, iofs.ErrPermission},
		{"provider sentinel", fmt.Errorf("decode: %w", errs.ErrIntegrity), errs.ErrIntegrity},
		{"own sentinel", errs.ErrNotEmpty, errs.ErrNotEmpty},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := classify(tc.err)
			mustErrIs(t, "classify", got, tc.want)
			// The SDK error stays reachable.
			if !errors.Is(got, tc.err) {
				t.Fatalf("cause lost: %v", got)
			}
			pe := pathErr("op", "/p", tc.err)
			var p *iofs.PathError
			if !errors.As(pe, &p) || p.Op != "op" || p.Path != "/p" {
				t.Fatalf("pathErr = %#v", pe)
			}
			mustErrIs(t, "pathErr", pe, tc.want)
		})
	}
	// Errors with no class keep their identity and are still PathErrors.
	odd := httpErr(500, &smithy.GenericAPIError{Code: "InternalError"})
	if c := classify(odd); c != odd {
		t.Fatalf("unknown error changed: %v", c)
	}
	for _, k := range []error{iofs.ErrNotExist, iofs.ErrExist, iofs.ErrPermission} {
		if errors.Is(classify(odd), k) {
			t.Fatalf("500 classified as %v", k)
		}
	}
}

func TestBareErrors(t *testing.T) {
	if pathErr("read", "/p", io.EOF) != io.EOF {
		t.Fatal("io.EOF wrapped")
	}
	if classify(io.EOF) != io.EOF {
		t.Fatal("classify wrapped io.EOF")
	}
	for _, e := range []error{context.Canceled, context.DeadlineExceeded} {
		sdk := opErr(&smithyhttp.RequestSendError{Err: fmt.Errorf("send: %w", e)})
		if got := pathErr("stat", "/p", sdk); got != e {
			t.Fatalf("ctx error wrapped: %#v", got)
		}
	}
	if pathErr("x", "/p", nil) != nil {
		t.Fatal("nil wrapped")
	}
	inner := &iofs.PathError{Op: "inner", Path: "/q", Err: iofs.ErrNotExist}
	if pathErr("outer", "/p", inner) != inner {
		t.Fatal("PathError re-wrapped")
	}
}

func TestExistsAsDir(t *testing.T) {
	err := pathErr("create", "/p", errExistsAsDir{})
	mustErrIs(t, "isdir", err, errs.ErrIsDir)
	mustErrIs(t, "exist", err, iofs.ErrExist)
}

func TestCopySource(t *testing.T) {
	got := copySource("b", "dir/a b+c%d/ü~_.-")
	want := "b/dir/a%20b%2Bc%25d/%C3%BC~_.-"
	if got != want {
		t.Fatalf("copySource = %q, want %q", got, want)
	}
}

func TestNewValidates(t *testing.T) {
	prov := func(context.Context, string) (providers.Provider, error) { return &testProvider{}, nil }
	bad := []Options{
		{Provider: prov},
		{S3: nilS3{}},
		{S3: nilS3{}, Provider: prov, PartSize: MinPartSize - 1},
		{S3: nilS3{}, Provider: prov, ActiveParts: -1},
		{S3: nilS3{}, Provider: prov, Buckets: map[string]string{"a/b": "x"}},
		{S3: nilS3{}, Provider: prov, Buckets: map[string]string{"a": ""}},
	}
	for i, o := range bad {
		if _, err := New(context.Background(), o); !errors.Is(err, iofs.ErrInvalid) {
			t.Fatalf("options %d: got %v", i, err)
		}
	}
	f, err := New(context.Background(), Options{S3: nilS3{}, Provider: prov})
	mustOK(t, "defaults", err)
	if f.opts.PartSize != DefaultPartSize || f.opts.ActiveParts != DefaultActiveParts || f.opts.DefaultOwner != DefaultOwnerName || f.opts.Buffers == nil {
		t.Fatalf("defaults not applied: %+v", f.opts)
	}
}
