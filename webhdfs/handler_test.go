package webhdfs

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/dfs"
	"github.com/emrfsd/emrfsd/internal/hdfschecksum"
)

func TestCreateOpenStatusThroughRedirects(t *testing.T) {
	r := newRig(t, Options{NameNodeAddress: "nn.example:8020"}, dfs.Options{})
	r.put("/data/shared", "op", "MKDIRS", "user.name", superUser, "permission", "777").is(t, 200)

	// Step one: a 307 to this server, carrying the identity, the marker and
	// the request's parameters, without reading any data.
	first := r.put("/data/shared/a b.txt", "op", "create", "user.name", "alice", "overwrite", "false", "permission", "640", "blocksize", "1048576")
	first.is(t, http.StatusTemporaryRedirect)
	loc, err := url.Parse(first.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := url.Parse(r.srv.URL)
	q := loc.Query()
	if loc.Host != srv.Host || loc.Path != "/webhdfs/v1/data/shared/a b.txt" || q.Get("op") != "CREATE" || q.Get("user.name") != "alice" ||
		q.Get("namenoderpcaddress") != "nn.example:8020" || q.Get("permission") != "640" || q.Get("overwrite") != "false" || q.Get("blocksize") != "1048576" {
		t.Fatalf("Location %s", loc)
	}
	if !strings.HasPrefix(loc.RawQuery, "op=CREATE&user.name=alice&namenoderpcaddress=") || first.header.Get("Content-Length") != "0" {
		t.Fatalf("Location query %q, headers %v", loc.RawQuery, first.header)
	}
	// noredirect: the same URL as JSON.
	nr := r.put("/data/shared/a b.txt", "op", "CREATE", "user.name", "alice", "overwrite", "false", "permission", "640", "blocksize", "1048576", "noredirect", "true").is(t, 200)
	if got := nr.json(t)["Location"]; got != loc.String() {
		t.Fatalf("noredirect Location %v, want %s", got, loc)
	}
	// Nothing exists before the data step.
	r.get("/data/shared/a b.txt", "op", "GETFILESTATUS", "user.name", "alice").remote(t, 404, "java.io.FileNotFoundException", "File does not exist: /data/shared/a b.txt")

	// Step two: the data.
	data := strings.Repeat("0123456789", 1000)
	second := r.do("PUT", loc.String(), strings.NewReader(data)).is(t, http.StatusCreated)
	if second.header.Get("Location") != "hdfs://nn.example:8020/data/shared/a%20b.txt" || len(second.body) != 0 {
		t.Fatalf("201 Location %q body %q", second.header.Get("Location"), second.body)
	}
	st := r.get("/data/shared/a b.txt", "op", "GETFILESTATUS", "user.name", "bob").is(t, 200).json(t)["FileStatus"].(map[string]any)
	want := map[string]any{"length": 10000.0, "owner": "alice", "group": "supergroup", "permission": "640", "type": "FILE",
		"pathSuffix": "", "replication": 1.0, "blockSize": 1048576.0, "childrenNum": 0.0, "storagePolicy": 0.0,
		"fileId": float64(dfs.FileID("/data/shared/a b.txt"))}
	for k, v := range want {
		if st[k] != v {
			t.Errorf("FileStatus.%s = %v, want %v", k, st[k], v)
		}
	}
	if mt := int64(st["modificationTime"].(float64)); time.Since(time.UnixMilli(mt)) > time.Minute {
		t.Errorf("modificationTime %d", mt)
	}

	// OPEN: whole, a range, a range past the end, an offset past the end.
	got := r.open("bob", "/data/shared/a b.txt").is(t, 403) // 640: bob is other
	got.remote(t, 403, dfs.ExAccessControl, "Permission denied: user=bob, access=READ")
	got = r.open("alice", "/data/shared/a b.txt").is(t, 200)
	if string(got.body) != data || got.header.Get("Content-Length") != "10000" || got.header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("OPEN: %d bytes, headers %v", len(got.body), got.header)
	}
	if got = r.open("alice", "/data/shared/a b.txt", "offset", "5", "length", "7").is(t, 200); string(got.body) != data[5:12] {
		t.Fatalf("range: %q", got.body)
	}
	if got = r.open("alice", "/data/shared/a b.txt", "offset", "9995", "length", "100").is(t, 200); string(got.body) != data[9995:] {
		t.Fatalf("range past the end: %q", got.body)
	}
	r.open("alice", "/data/shared/a b.txt", "offset", "10000").remote(t, 403, "java.io.IOException", "Offset=10000 out of the range [0, 10000); OPEN, path=/data/shared/a b.txt")
	r.open("alice", "/data/shared/nope").remote(t, 404, "java.io.FileNotFoundException", "File /data/shared/nope not found.")
	r.open("alice", "/data/shared/a b.txt", "length", "-1").remote(t, 400, exIllegalArgument, `Invalid value for webhdfs parameter "length": Invalid parameter range: length = -1 < 0`)

	// An existing file is not replaced without overwrite; with it, it is.
	r.create("alice", "/data/shared/a b.txt", "x").remote(t, 403, dfs.ExFileAlreadyExists, "already exists")
	r.create("alice", "/data/shared/a b.txt", "new", "overwrite", "true").is(t, 201)
	if got = r.open("alice", "/data/shared/a b.txt").is(t, 200); string(got.body) != "new" {
		t.Fatalf("after overwrite: %q", got.body)
	}
	// An empty file, default permission 644.
	r.create("alice", "/data/shared/empty", "").is(t, 201)
	if got = r.open("alice", "/data/shared/empty").is(t, 200); len(got.body) != 0 || got.header.Get("Content-Length") != "0" {
		t.Fatalf("empty: %q %v", got.body, got.header)
	}
	if p := r.get("/data/shared/empty", "op", "GETFILESTATUS").is(t, 200).json(t)["FileStatus"].(map[string]any)["permission"]; p != "644" {
		t.Fatalf("default permission %v", p)
	}
	// createparent=false with a missing parent.
	r.create("alice", "/data/shared/no/such/f", "x", "createparent", "false").remote(t, 404, dfs.ExFileNotFound, "Parent directory doesn't exist: /data/shared/no/such")
}

func TestNameNodeAddressPortOnly(t *testing.T) {
	r := newRig(t, Options{NameNodeAddress: ":8020"}, dfs.Options{})
	first := r.put("/data/f", "op", "CREATE", "user.name", superUser).is(t, http.StatusTemporaryRedirect)
	loc, _ := url.Parse(first.header.Get("Location"))
	if got := loc.Query().Get("namenoderpcaddress"); got != "127.0.0.1:8020" {
		t.Fatalf("namenoderpcaddress %q", got)
	}
	if got := r.do("PUT", loc.String(), strings.NewReader("x")).is(t, 201).header.Get("Location"); got != "hdfs://127.0.0.1:8020/data/f" {
		t.Fatalf("Location %q", got)
	}
}

func TestChecksumMatchesRPC(t *testing.T) {
	r := newRig(t, Options{}, dfs.Options{BlockSize: 1 << 20})
	var data []byte
	for i := 0; len(data) < 2<<20+12345; i++ {
		data = fmt.Appendf(data, "line %d of the checksum test\n", i)
	}
	r.create(superUser, "/data/sum.bin", string(data)).is(t, 201)
	first := r.get("/data/sum.bin", "op", "GETFILECHECKSUM", "user.name", superUser).is(t, http.StatusTemporaryRedirect)
	got := r.do("GET", first.header.Get("Location"), nil).is(t, 200).json(t)["FileChecksum"].(map[string]any)
	// Three 1 MiB blocks: what the DataNode's BLOCK_CHECKSUM answers give
	// a Hadoop client.
	var md5s [][16]byte
	for off := 0; off < len(data); off += 1 << 20 {
		m, err := hdfschecksum.BlockMD5(context.Background(), strings.NewReader(string(data[off:min(off+1<<20, len(data))])), int64(min(1<<20, len(data)-off)))
		if err != nil {
			t.Fatal(err)
		}
		md5s = append(md5s, m)
	}
	file := hdfschecksum.FileMD5(md5s)
	if got["algorithm"] != "MD5-of-2048MD5-of-512CRC32C" || got["length"] != 28.0 ||
		got["bytes"] != "00000200"+"0000000000000800"+hex.EncodeToString(file[:]) {
		t.Fatalf("checksum %v", got)
	}
	// The empty file's is Hadoop's fixed value.
	r.create(superUser, "/data/empty", "").is(t, 201)
	first = r.get("/data/empty", "op", "GETFILECHECKSUM", "user.name", superUser).is(t, http.StatusTemporaryRedirect)
	got = r.do("GET", first.header.Get("Location"), nil).is(t, 200).json(t)["FileChecksum"].(map[string]any)
	zero := md5.Sum(make([]byte, 32))
	if got["algorithm"] != "MD5-of-0MD5-of-0CRC32" || got["bytes"] != "000000000000000000000000"+hex.EncodeToString(zero[:]) {
		t.Fatalf("empty checksum %v", got)
	}
	// Block locations: three blocks, the last short, on this server.
	bl := r.get("/data/sum.bin", "op", "GETFILEBLOCKLOCATIONS", "user.name", superUser).is(t, 200).json(t)["BlockLocations"].(map[string]any)["BlockLocation"].([]any)
	srv, _ := url.Parse(r.srv.URL)
	if len(bl) != 3 {
		t.Fatalf("block locations %v", bl)
	}
	for i, b := range bl {
		m := b.(map[string]any)
		wantLen := float64(min(1<<20, len(data)-i<<20))
		if m["offset"] != float64(i<<20) || m["length"] != wantLen || m["hosts"].([]any)[0] != srv.Hostname() || m["names"].([]any)[0] != srv.Host || m["corrupt"] != false {
			t.Fatalf("block %d: %v", i, m)
		}
	}
	bl = r.get("/data/sum.bin", "op", "GETFILEBLOCKLOCATIONS", "offset", "1048577", "length", "10", "user.name", superUser).is(t, 200).json(t)["BlockLocations"].(map[string]any)["BlockLocation"].([]any)
	if len(bl) != 1 || bl[0].(map[string]any)["offset"] != float64(1<<20) {
		t.Fatalf("one block: %v", bl)
	}
	r.get("/data", "op", "GETFILECHECKSUM", "user.name", superUser, "namenoderpcaddress", "x").remote(t, 404, dfs.ExFileNotFound, "Path is not a file: /data")
}

func TestNamespaceOps(t *testing.T) {
	r := newRig(t, Options{}, dfs.Options{ListLimit: 2})
	r.put("/data/d", "op", "MKDIRS", "user.name", superUser, "permission", "1777").is(t, 200)
	if b := r.put("/data/d/alice/x/y", "op", "MKDIRS", "user.name", "alice").is(t, 200).json(t); b["boolean"] != true {
		t.Fatalf("mkdirs %v", b)
	}
	for i := 0; i < 5; i++ {
		r.create("alice", fmt.Sprintf("/data/d/alice/f%d", i), strings.Repeat("z", i)).is(t, 201)
	}
	// LISTSTATUS streams every batch (ListLimit 2: three batches).
	l := r.get("/data/d/alice", "op", "LISTSTATUS", "user.name", "bob").is(t, 200).json(t)
	fsts := l["FileStatuses"].(map[string]any)["FileStatus"].([]any)
	var names []string
	for _, e := range fsts {
		names = append(names, e.(map[string]any)["pathSuffix"].(string))
	}
	if strings.Join(names, ",") != "f0,f1,f2,f3,f4,x" {
		t.Fatalf("listing %v", names)
	}
	if x := fsts[5].(map[string]any); x["type"] != "DIRECTORY" || x["permission"] != "755" || x["childrenNum"] != -1.0 || x["length"] != 0.0 {
		t.Fatalf("directory entry %v", x)
	}
	// A file lists as itself with an empty suffix.
	l = r.get("/data/d/alice/f3", "op", "LISTSTATUS").is(t, 200).json(t)
	if e := l["FileStatuses"].(map[string]any)["FileStatus"].([]any); len(e) != 1 || e[0].(map[string]any)["pathSuffix"] != "" || e[0].(map[string]any)["length"] != 3.0 {
		t.Fatalf("file listing %v", e)
	}
	r.get("/data/nope", "op", "LISTSTATUS").remote(t, 404, dfs.ExFileNotFound, "File /data/nope does not exist.")
	// LISTSTATUS_BATCH pages with startAfter.
	var paged []string
	after := ""
	for i := 0; i < 10; i++ {
		b := r.get("/data/d/alice", "op", "LISTSTATUS_BATCH", "startAfter", after).is(t, 200).json(t)["DirectoryListing"].(map[string]any)
		page := b["partialListing"].(map[string]any)["FileStatuses"].(map[string]any)["FileStatus"].([]any)
		for _, e := range page {
			paged = append(paged, e.(map[string]any)["pathSuffix"].(string))
		}
		if b["remainingEntries"] == 0.0 {
			break
		}
		after = paged[len(paged)-1]
	}
	if strings.Join(paged, ",") != "f0,f1,f2,f3,f4,x" {
		t.Fatalf("batches %v", paged)
	}

	// Content summary and quota usage.
	cs := r.get("/data/d/alice", "op", "GETCONTENTSUMMARY").is(t, 200).json(t)["ContentSummary"].(map[string]any)
	if cs["length"] != 10.0 || cs["fileCount"] != 5.0 || cs["directoryCount"] != 3.0 || cs["quota"] != -1.0 || cs["spaceQuota"] != -1.0 ||
		cs["spaceConsumed"] != 10.0 || cs["ecPolicy"] != "Replicated" {
		t.Fatalf("content summary %v", cs)
	}
	qu := r.get("/data/d/alice", "op", "GETQUOTAUSAGE").is(t, 200).json(t)["QuotaUsage"].(map[string]any)
	if qu["fileAndDirectoryCount"] != 8.0 || qu["quota"] != -1.0 {
		t.Fatalf("quota usage %v", qu)
	}

	// Rename: the boolean form, and with options (rename2).
	if b := r.put("/data/d/alice/f0", "op", "RENAME", "destination", "/data/d/alice/g0", "user.name", "alice").is(t, 200).json(t); b["boolean"] != true {
		t.Fatal(b)
	}
	if b := r.put("/data/d/alice/missing", "op", "RENAME", "destination", "/data/d/alice/g9", "user.name", "alice").is(t, 200).json(t); b["boolean"] != false {
		t.Fatal(b)
	}
	r.put("/data/d/alice/f1", "op", "RENAME", "destination", "/data/d/alice/f2", "renameoptions", "NONE", "user.name", "alice").
		remote(t, 403, dfs.ExFileAlreadyExists, "rename destination /data/d/alice/f2 already exists")
	x := r.put("/data/d/alice/f1", "op", "RENAME", "destination", "/data/d/alice/f2", "renameoptions", "overwrite", "user.name", "alice").is(t, 200)
	if len(x.body) != 0 {
		t.Fatalf("rename2 body %q", x.body)
	}
	r.put("/data/d/alice/f3", "op", "RENAME", "user.name", "alice").remote(t, 400, exIllegalArgument, "Required param destination for op: RENAME is null or empty")
	r.put("/data/d/alice/f3", "op", "RENAME", "destination", "rel", "user.name", "alice").remote(t, 400, exIllegalArgument, `Invalid value for webhdfs parameter "destination": Invalid parameter value: destination = "rel" is not an absolute path.`)
	// The sticky bit: bob may not rename alice's directory out of /data/d.
	r.put("/data/d/alice", "op", "RENAME", "destination", "/data/d/bob", "user.name", "bob").remote(t, 403, dfs.ExAccessControl, "sticky bit")

	// Attributes.
	r.put("/data/d/alice/f2", "op", "SETPERMISSION", "permission", "600", "user.name", "bob").remote(t, 403, dfs.ExAccessControl, "is not the owner")
	r.put("/data/d/alice/f2", "op", "SETPERMISSION", "permission", "600", "user.name", "alice").is(t, 200)
	r.put("/data/d/alice/f2", "op", "SETOWNER", "group", "etl", "user.name", "alice").is(t, 200)
	r.put("/data/d/alice/f2", "op", "SETOWNER", "owner", "bob", "user.name", "alice").remote(t, 403, dfs.ExAccessControl, "non-super user cannot change owner")
	r.put("/data/d/alice/f2", "op", "SETOWNER", "user.name", "alice").remote(t, 400, exIllegalArgument, "Both owner and group are empty.")
	r.put("/data/d/alice/f2", "op", "SETTIMES", "modificationtime", "1000000", "accesstime", "2000000", "user.name", "alice").is(t, 200)
	st := r.get("/data/d/alice/f2", "op", "GETFILESTATUS").is(t, 200).json(t)["FileStatus"].(map[string]any)
	if st["permission"] != "600" || st["group"] != "etl" || st["modificationTime"] != 1e6 || st["accessTime"] != 2e6 {
		t.Fatalf("after set*: %v", st)
	}
	acl := r.get("/data/d", "op", "GETACLSTATUS").is(t, 200).json(t)["AclStatus"].(map[string]any)
	if acl["permission"] != "1777" || acl["stickyBit"] != true || acl["owner"] != superUser || len(acl["entries"].([]any)) != 0 {
		t.Fatalf("acl status %v", acl)
	}
	r.get("/data/d/alice/f2", "op", "CHECKACCESS", "fsaction", "r--", "user.name", "bob").remote(t, 403, dfs.ExAccessControl, "access=READ")
	r.get("/data/d/alice/f2", "op", "CHECKACCESS", "fsaction", "rw-", "user.name", "alice").is(t, 200)
	if b := r.put("/data/d/alice/f2", "op", "SETREPLICATION", "replication", "3", "user.name", "alice").is(t, 200).json(t); b["boolean"] != true {
		t.Fatal(b)
	}

	// Delete: not recursive on a non-empty directory, recursive, missing.
	r.do("DELETE", r.url("/data/d/alice", "op", "DELETE", "user.name", "alice"), nil).remote(t, 403, dfs.ExPathNotEmpty, "is non empty")
	r.do("DELETE", r.url("/data/d/alice", "op", "DELETE", "recursive", "true", "user.name", "bob"), nil).remote(t, 403, dfs.ExAccessControl, "sticky bit")
	if b := r.do("DELETE", r.url("/data/d/alice", "op", "DELETE", "recursive", "true", "user.name", "alice"), nil).is(t, 200).json(t); b["boolean"] != true {
		t.Fatal(b)
	}
	if b := r.do("DELETE", r.url("/data/d/alice", "op", "DELETE", "user.name", "alice"), nil).is(t, 200).json(t); b["boolean"] != false {
		t.Fatal(b)
	}
}

func TestRefusedOps(t *testing.T) {
	r := newRig(t, Options{}, dfs.Options{})
	r.create(superUser, "/data/f", "0123456789").is(t, 201)
	r.do("POST", r.url("/data/f", "op", "APPEND", "user.name", superUser), nil).remote(t, 400, dfs.ExUnsupported, "append to /data/f is not supported")
	r.do("POST", r.url("/data/nope", "op", "APPEND", "user.name", superUser), nil).remote(t, 404, dfs.ExFileNotFound, "File does not exist: /data/nope")
	r.do("POST", r.url("/data/f", "op", "TRUNCATE", "newlength", "3", "user.name", superUser), nil).remote(t, 400, dfs.ExUnsupported, "truncate of /data/f to 3 bytes is not supported")
	r.do("POST", r.url("/data/f", "op", "TRUNCATE", "user.name", superUser), nil).remote(t, 400, exIllegalArgument, "Required param newlength for op: TRUNCATE is null or empty")
	if b := r.do("POST", r.url("/data/f", "op", "TRUNCATE", "newlength", "0", "user.name", superUser), nil).is(t, 200).json(t); b["boolean"] != true {
		t.Fatal(b)
	}
	if got := r.open(superUser, "/data/f").is(t, 200); len(got.body) != 0 {
		t.Fatalf("after truncate to 0: %q", got.body)
	}
	r.do("POST", r.url("/data/f", "op", "CONCAT", "sources", "/data/g", "user.name", superUser), nil).remote(t, 400, dfs.ExUnsupported, "concat into /data/f is not supported")
	r.put("/data/f", "op", "ALLOWSNAPSHOT").remote(t, 400, dfs.ExUnsupported, "op=ALLOWSNAPSHOT is not supported")
	r.get("/data/f", "op", "GETFOO").remote(t, 400, exIllegalArgument, `Invalid value for webhdfs parameter "op": GETFOO is not a valid GET operation.`)
	r.put("/data/f", "op", "GETFILESTATUS").remote(t, 400, exIllegalArgument, "GETFILESTATUS is not a valid PUT operation.")
	r.get("/data/f").remote(t, 400, dfs.ExUnsupported, "op=NULL is not supported")
	r.get("/data/../f", "op", "GETFILESTATUS").remote(t, 400, dfs.ExInvalidPath, "Invalid path name")
	// With security off a delegation token is ignored, as in Hadoop.
	if o := r.get("/data/f", "op", "GETFILESTATUS", "delegation", "abc", "user.name", "alice").is(t, 200).json(t)["FileStatus"].(map[string]any)["owner"]; o != superUser {
		t.Fatalf("owner %v", o)
	}
	if tok := r.get("/", "op", "GETDELEGATIONTOKEN").is(t, 200); string(tok.body) != `{"Token":null}` {
		t.Fatalf("token %s", tok.body)
	}
	if res := r.do("PATCH", r.url("/data/f", "op", "GETFILESTATUS"), nil); res.code != http.StatusMethodNotAllowed {
		t.Fatalf("PATCH: %d", res.code)
	}
}

func TestUsersAndProxyUsers(t *testing.T) {
	r := newRig(t, Options{StaticUser: "webuser", ProxyUsers: map[string]ProxyUser{
		"hue":   {Users: []string{"bob"}, Groups: []string{"analysts"}, Hosts: []string{"127.0.0.0/8"}},
		"far":   {Users: []string{"*"}, Hosts: []string{"10.1.2.3"}},
		"nohst": {Users: []string{"*"}},
	}}, dfs.Options{})
	r.put("/data/pub", "op", "MKDIRS", "user.name", superUser, "permission", "777").is(t, 200)
	// No user.name: the static user.
	r.create("", "/data/pub/anon", "a").is(t, 201)
	if o := r.get("/data/pub/anon", "op", "GETFILESTATUS").is(t, 200).json(t)["FileStatus"].(map[string]any)["owner"]; o != "webuser" {
		t.Fatalf("owner %v", o)
	}
	if p := r.get("/", "op", "GETHOMEDIRECTORY").is(t, 200).json(t)["Path"]; p != "/user/webuser" {
		t.Fatalf("home %v", p)
	}
	r.get("/", "op", "GETHOMEDIRECTORY", "user.name", "9bad").remote(t, 400, exIllegalArgument, `Invalid value for webhdfs parameter "user.name": Invalid value: "9bad" does not belong to the domain`)
	// doas: allowed by user, by group, refused otherwise.
	r.create("hue", "/data/pub/byBob", "b", "doas", "bob").is(t, 201)
	r.create("hue", "/data/pub/byCarol", "c", "doas", "carol").is(t, 201)
	for f, owner := range map[string]string{"byBob": "bob", "byCarol": "carol"} {
		if o := r.get("/data/pub/"+f, "op", "GETFILESTATUS").is(t, 200).json(t)["FileStatus"].(map[string]any)["owner"]; o != owner {
			t.Fatalf("%s owner %v", f, o)
		}
	}
	if p := r.get("/", "op", "GETHOMEDIRECTORY", "user.name", "hue", "doas", "bob").is(t, 200).json(t)["Path"]; p != "/user/bob" {
		t.Fatalf("home %v", p)
	}
	r.get("/", "op", "GETHOMEDIRECTORY", "user.name", "hue", "doas", "alice").
		remote(t, 403, exSecurity, "Failed to obtain user group information: org.apache.hadoop.security.authorize.AuthorizationException: User: hue is not allowed to impersonate alice")
	r.get("/", "op", "GETHOMEDIRECTORY", "user.name", "alice", "doas", "bob").remote(t, 403, exSecurity, "User: alice is not allowed to impersonate bob")
	r.get("/", "op", "GETHOMEDIRECTORY", "user.name", "far", "doas", "bob").remote(t, 403, exSecurity, "Unauthorized connection for super-user: far from IP 127.0.0.1")
	r.get("/", "op", "GETHOMEDIRECTORY", "user.name", "nohst", "doas", "bob").remote(t, 403, exSecurity, "Unauthorized connection for super-user: nohst")
	// doas equal to the user needs no rule.
	r.get("/", "op", "GETHOMEDIRECTORY", "user.name", "alice", "doas", "alice").is(t, 200)
	// The DataNode step of a proxied create carries doas too.
	first := r.put("/data/pub/x", "op", "CREATE", "user.name", "hue", "doas", "bob").is(t, http.StatusTemporaryRedirect)
	if q, _ := url.Parse(first.header.Get("Location")); q.Query().Get("doas") != "bob" || q.Query().Get("user.name") != "hue" {
		t.Fatalf("Location %s", first.header.Get("Location"))
	}
	// Trash roots: in a bucket, the bucket's; elsewhere the home's.
	if p := r.get("/data/pub/anon", "op", "GETTRASHROOT", "user.name", "alice").is(t, 200).json(t)["Path"]; p != "/data/.Trash/alice" {
		t.Fatalf("trash root %v", p)
	}
	if p := r.get("/", "op", "GETTRASHROOT", "user.name", "alice").is(t, 200).json(t)["Path"]; p != "/user/alice/.Trash" {
		t.Fatalf("trash root of / %v", p)
	}
}

func TestXattrs(t *testing.T) {
	r := newRig(t, Options{}, dfs.Options{})
	r.create("alice", "/data/x", "x").is(t, 403) // /data is the superuser's 755
	r.create(superUser, "/data/x", "x").is(t, 201)
	r.put("/data/x", "op", "SETXATTR", "xattr.name", "user.a", "xattr.value", `"hello"`, "flag", "CREATE", "user.name", superUser).is(t, 200)
	r.put("/data/x", "op", "SETXATTR", "xattr.name", "USER.b", "xattr.value", "0x0102ff", "flag", "create", "user.name", superUser).is(t, 200)
	r.put("/data/x", "op", "SETXATTR", "xattr.name", "user.a", "xattr.value", "x", "flag", "CREATE", "user.name", superUser).
		remote(t, 403, dfs.ExIO, "XAttr: a already exists. The REPLACE flag must be specified.")
	r.put("/data/x", "op", "SETXATTR", "xattr.name", "user.a", "xattr.value", "0sAQI=", "flag", "REPLACE", "user.name", superUser).is(t, 200)
	r.put("/data/x", "op", "SETXATTR", "xattr.name", "user.a", "user.name", superUser).remote(t, 400, exIllegalArgument, "Required param flag for op: SETXATTR is null or empty")
	r.put("/data/x", "op", "SETXATTR", "xattr.name", "nons", "flag", "CREATE", "user.name", superUser).
		remote(t, 400, "org.apache.hadoop.HadoopIllegalArgumentException", "An XAttr name must be prefixed with user/trusted/security/system/raw")
	r.put("/data/x", "op", "SETXATTR", "xattr.name", "trusted.t", "flag", "CREATE", "user.name", superUser).remote(t, 400, dfs.ExUnsupported, "only user.* extended attributes are supported")
	r.put("/data/x", "op", "SETXATTR", "xattr.name", "user.c", "flag", "CREATE", "user.name", "alice").remote(t, 403, dfs.ExAccessControl, "access=WRITE")

	got := r.get("/data/x", "op", "GETXATTRS", "encoding", "hex").is(t, 200)
	if string(got.body) != `{"XAttrs":[{"name":"user.a","value":"0x0102"},{"name":"user.b","value":"0x0102ff"}]}` {
		t.Fatalf("all, hex: %s", got.body)
	}
	got = r.get("/data/x", "op", "GETXATTRS", "xattr.name", "user.b", "encoding", "BASE64").is(t, 200)
	if string(got.body) != `{"XAttrs":[{"name":"user.b","value":"0sAQL/"}]}` {
		t.Fatalf("one, base64: %s", got.body)
	}
	r.put("/data/x", "op", "SETXATTR", "xattr.name", "user.t", "xattr.value", "plain text", "flag", "CREATE", "user.name", superUser).is(t, 200)
	got = r.get("/data/x", "op", "GETXATTRS", "xattr.name", "user.t", "encoding", "text").is(t, 200)
	if string(got.body) != `{"XAttrs":[{"name":"user.t","value":"\"plain text\""}]}` {
		t.Fatalf("text: %s", got.body)
	}
	r.get("/data/x", "op", "GETXATTRS", "xattr.name", "user.zz", "encoding", "text").remote(t, 403, dfs.ExIO, "At least one of the attributes provided was not found.")
	r.get("/data/x", "op", "GETXATTRS").remote(t, 400, exIllegalArgument, "Required param encoding for op: GETXATTRS is null or empty")
	if got = r.get("/data/x", "op", "LISTXATTRS").is(t, 200); string(got.body) != `{"XAttrNames":"[\"user.a\",\"user.b\",\"user.t\"]"}` {
		t.Fatalf("names: %s", got.body)
	}
	r.put("/data/x", "op", "REMOVEXATTR", "xattr.name", "user.b", "user.name", superUser).is(t, 200)
	r.put("/data/x", "op", "REMOVEXATTR", "xattr.name", "user.b", "user.name", superUser).remote(t, 403, dfs.ExIO, "No matching attributes found for remove operation")
	if got = r.get("/data/x", "op", "LISTXATTRS").is(t, 200); string(got.body) != `{"XAttrNames":"[\"user.a\",\"user.t\"]"}` {
		t.Fatalf("names after remove: %s", got.body)
	}
}

// TestCreateCutShort: a body that ends early (the client goes away
// mid-upload) publishes nothing and releases the lease.
func TestCreateCutShort(t *testing.T) {
	r := newRig(t, Options{}, dfs.Options{})
	first := r.put("/data/cut", "op", "CREATE", "user.name", superUser).is(t, http.StatusTemporaryRedirect)
	loc, _ := url.Parse(first.header.Get("Location"))
	for _, chunked := range []bool{false, true} {
		c, err := net.Dial("tcp", loc.Host)
		if err != nil {
			t.Fatal(err)
		}
		hdr := "Content-Length: 1000000\r\n"
		if chunked {
			hdr = "Transfer-Encoding: chunked\r\n"
		}
		fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", loc.RequestURI(), loc.Host, hdr)
		if chunked {
			fmt.Fprintf(c, "%x\r\n%s\r\n", 70000, strings.Repeat("a", 70000))
		} else {
			c.Write([]byte(strings.Repeat("a", 300000)))
		}
		// Wait until the server holds the file open, then hang up.
		deadline := time.Now().Add(10 * time.Second)
		for r.ns.Writing("/data/cut") == nil && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if r.ns.Writing("/data/cut") == nil {
			t.Fatal("the create never started")
		}
		c.Close()
		for r.ns.Writing("/data/cut") != nil && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if r.ns.Writing("/data/cut") != nil {
			t.Fatal("the cut create still holds its lease")
		}
		r.get("/data/cut", "op", "GETFILESTATUS").remote(t, 404, dfs.ExFileNotFound, "File does not exist")
	}
	// A body that declares more than it sends and ends cleanly at the
	// transport level is cut short too (the server sees ErrUnexpectedEOF).
	c, err := net.Dial("tcp", loc.Host)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 10\r\n\r\nabc", loc.RequestURI(), loc.Host)
	c.(*net.TCPConn).CloseWrite()
	res, _ := http.ReadResponse(bufio.NewReader(c), nil)
	c.Close()
	if res != nil && res.StatusCode == http.StatusCreated {
		t.Fatal("a truncated body was published")
	}
	r.get("/data/cut", "op", "GETFILESTATUS").remote(t, 404, dfs.ExFileNotFound, "File does not exist")
	// And the path is free for a proper create.
	r.create(superUser, "/data/cut", "whole").is(t, 201)
}
