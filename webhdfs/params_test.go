package webhdfs

import (
	"bytes"
	"errors"
	"net/http"
	"testing"

	"github.com/emrfsd/emrfsd/dfs"
)

func mustQuery(t *testing.T, raw string) query {
	t.Helper()
	q, err := parseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// wantErr checks err's Java class and exact message.
func wantErr(t *testing.T, err error, class, msg string) {
	t.Helper()
	c, m := exception(err)
	if err == nil || c != class || m != msg {
		t.Fatalf("got (%s, %q) from %v, want (%s, %q)", c, m, err, class, msg)
	}
}

func TestParamNamesAreCaseInsensitive(t *testing.T) {
	q := mustQuery(t, "OP=liststatus&User.Name=alice&startAfter=b%20c&xattr.name=user.a&XATTR.NAME=user.b")
	if op, err := parseOp(http.MethodGet, q); err != nil || op != "LISTSTATUS" {
		t.Fatalf("op %q %v", op, err)
	}
	if q.str(pUser) != "alice" || q.str(pStartAfter) != "b c" || len(q[pXAttrName]) != 2 {
		t.Fatalf("%v", q)
	}
}

func TestOps(t *testing.T) {
	for _, c := range []struct{ method, raw, op, err string }{
		{"GET", "op=open", "OPEN", ""},
		{"GET", "", "NULL", ""},
		{"GET", "op=", "NULL", ""},
		{"PUT", "op=Create", "CREATE", ""},
		{"POST", "op=truncate", "TRUNCATE", ""},
		{"DELETE", "op=delete", "DELETE", ""},
		{"GET", "op=CREATE", "", `Invalid value for webhdfs parameter "op": CREATE is not a valid GET operation.`},
		{"DELETE", "op=open", "", `Invalid value for webhdfs parameter "op": open is not a valid DELETE operation.`},
	} {
		op, err := parseOp(c.method, mustQuery(t, c.raw))
		if c.err != "" {
			wantErr(t, err, exIllegalArgument, c.err)
		} else if err != nil || op != c.op {
			t.Errorf("%s %s: %q %v", c.method, c.raw, op, err)
		}
	}
}

func TestTypedParams(t *testing.T) {
	q := mustQuery(t, "recursive=TRUE&overwrite=yes&offset=12&length=-1&permission=1755&blocksize=0&buffersize=x&replication=70000&accesstime=null")
	if b, err := q.boolean(pRecursive, false); err != nil || !b {
		t.Fatalf("recursive %v %v", b, err)
	}
	_, err := q.boolean(pOverwrite, false)
	wantErr(t, err, exIllegalArgument, `Invalid value for webhdfs parameter "overwrite": Failed to parse "yes" to Boolean.`)
	if b, err := q.boolean(pCreateParent, true); err != nil || !b {
		t.Fatalf("createparent default %v %v", b, err)
	}
	if n, err := q.long(pOffset, 0, 0); err != nil || n != 12 {
		t.Fatalf("offset %d %v", n, err)
	}
	_, err = q.long(pLength, 0, -1)
	wantErr(t, err, exIllegalArgument, `Invalid value for webhdfs parameter "length": Invalid parameter range: length = -1 < 0`)
	if n, err := q.long(pAccessTime, -1, -1); err != nil || n != -1 {
		t.Fatalf("accesstime=null is the default: %d %v", n, err)
	}
	if p, err := q.permission(pPermission, 0o644); err != nil || p != 0o1755 {
		t.Fatalf("permission %o %v", p, err)
	}
	_, _, err = q.integer(pBlockSize, 10, 64, ptr(1), nil)
	wantErr(t, err, exIllegalArgument, `Invalid value for webhdfs parameter "blocksize": Invalid parameter range: blocksize = 0 < 1`)
	_, _, err = q.integer(pBufferSize, 10, 32, ptr(1), nil)
	wantErr(t, err, exIllegalArgument, `Invalid value for webhdfs parameter "buffersize": Failed to parse "x" as a radix-10 integer.`)
	_, _, err = q.integer(pReplication, 10, 16, ptr(1), nil)
	wantErr(t, err, exIllegalArgument, `Invalid value for webhdfs parameter "replication": Failed to parse "70000" as a radix-10 short integer.`)
	for raw, msg := range map[string]string{
		"permission=2000": `Invalid value for webhdfs parameter "permission": Invalid parameter range: permission = 2000 > 1777`,
		"permission=8":    `Invalid value for webhdfs parameter "permission": Failed to parse "8" as a radix-8 short integer.`,
		"permission=":     `Invalid value for webhdfs parameter "permission": Failed to parse "" as a radix-8 short integer.`,
	} {
		_, err := mustQuery(t, raw).permission(pPermission, 0o644)
		wantErr(t, err, exIllegalArgument, msg)
	}
	if p, err := mustQuery(t, "").permission(pPermission, 0o644); err != nil || p != 0o644 {
		t.Fatalf("default permission %o %v", p, err)
	}
}

func TestEnumSetsAndCreateFlags(t *testing.T) {
	for raw, want := range map[string]dfs.CreateRequest{
		"":                             {Perm: 0o644, Create: true, CreateParent: true},
		"overwrite=true":               {Perm: 0o644, Create: true, Overwrite: true, CreateParent: true},
		"createflag=create,sync_block": {Perm: 0o644, Create: true, CreateParent: true},
		"createflag=append":            {Perm: 0o644, Append: true, CreateParent: true},
		"createparent=false&blocksize=1024&permission=600": {Perm: 0o600, Create: true, BlockSize: 1024},
	} {
		p, err := parseCreateParams(mustQuery(t, raw))
		if err != nil || p.req != want {
			t.Errorf("%q: %+v %v, want %+v", raw, p.req, err, want)
		}
	}
	_, err := parseCreateParams(mustQuery(t, "createflag=append&overwrite=true"))
	wantErr(t, err, dfs.ExIllegalArgument, "[APPEND, OVERWRITE] Both append and overwrite options cannot be enabled.")
	_, err = parseCreateParams(mustQuery(t, "createflag=create,bogus"))
	wantErr(t, err, exIllegalArgument, `Invalid value for webhdfs parameter "createflag": No enum constant org.apache.hadoop.fs.CreateFlag.BOGUS`)
}

func TestDestinationAndXattrs(t *testing.T) {
	if d, ok, err := mustQuery(t, "destination=/a//b/").destination(); err != nil || !ok || d != "/a/b" {
		t.Fatalf("%q %v %v", d, ok, err)
	}
	if _, ok, err := mustQuery(t, "destination=").destination(); ok || err != nil {
		t.Fatalf("empty destination: %v %v", ok, err)
	}
	for in, want := range map[string]string{"user.a": "user.a", "USER.a.b": "user.a.b", "Trusted.x": "trusted.x"} {
		if got, err := xattrName(in); err != nil || got != want {
			t.Errorf("%s: %s %v", in, got, err)
		}
	}
	_, err := xattrName("user.")
	wantErr(t, err, "org.apache.hadoop.HadoopIllegalArgumentException", "XAttr name cannot be empty.")
	_, err = xattrName("ab.c")
	wantErr(t, err, "org.apache.hadoop.HadoopIllegalArgumentException", "An XAttr name must be prefixed with user/trusted/security/system/raw, followed by a '.'")
	for in, want := range map[string][]byte{`"quoted"`: []byte("quoted"), "0x00ff": {0, 0xff}, "0XAB": {0xab}, "0sAP8=": {0, 0xff}, "plain": []byte("plain"), `"`: []byte(`"`)} {
		if got, err := decodeXattrValue(in); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	if _, err := decodeXattrValue("0xzz"); err == nil {
		t.Fatal("bad hex accepted")
	}
	for enc, want := range map[string]string{"TEXT": `"a b"`, "HEX": "0x612062", "BASE64": "0sYSBi"} {
		if got := encodeXattrValue([]byte("a b"), enc); got != want {
			t.Errorf("%s: %s", enc, got)
		}
	}
}

func TestStatusMapping(t *testing.T) {
	for class, code := range map[string]int{
		dfs.ExFileNotFound: 404, dfs.ExAccessControl: 403, dfs.ExFileAlreadyExists: 403, dfs.ExPathNotEmpty: 403,
		dfs.ExIO: 403, dfs.ExLeaseExpired: 403, dfs.ExComponentTooLong: 403, dfs.ExAlreadyBeingCreated: 403, dfs.ExParentNotDirectory: 403,
		dfs.ExUnsupported: 400, exIllegalArgument: 400, dfs.ExIllegalArgument: 400, dfs.ExInvalidPath: 400,
		exSecurity: 403, "org.apache.hadoop.security.authorize.AuthorizationException": 403, exRuntime: 500,
	} {
		if got := httpStatus(class); got != code {
			t.Errorf("%s: %d, want %d", class, got, code)
		}
	}
	if simpleName(dfs.ExComponentTooLong) != "PathComponentTooLongException" || simpleName("X") != "X" {
		t.Fatal(simpleName(dfs.ExComponentTooLong))
	}
	// Errors without a class of their own are IOExceptions (403), as dfs
	// maps them for RPC.
	c, m := exception(errors.New("s3 is down\nsecond line"))
	if c != dfs.ExIO || m != "s3 is down" || httpStatus(c) != 403 {
		t.Fatalf("%s %q", c, m)
	}
}
