package webhdfs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/internal/testenv"
)

// curlResult is one curl run: the last response's status, headers and body.
type curlResult struct {
	code   int
	header http.Header
	body   []byte
}

// curl runs curl with args and the URL u, capturing the final response.
func curl(t *testing.T, u string, args ...string) curlResult {
	t.Helper()
	dir := t.TempDir()
	hdr, body := filepath.Join(dir, "h"), filepath.Join(dir, "b")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	all := append([]string{"-s", "-S", "-D", hdr, "-o", body, "-w", "%{http_code}"}, args...)
	out, err := exec.CommandContext(ctx, "curl", append(all, u)...).Output()
	if err != nil {
		t.Fatalf("curl %v %s: %v %s", args, u, err, out)
	}
	var r curlResult
	fmt.Sscanf(string(out), "%d", &r.code)
	r.body, _ = os.ReadFile(body)
	raw, _ := os.ReadFile(hdr)
	r.header = http.Header{}
	// With -L the file holds every response; keep the last one's headers.
	blocks := strings.Split(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n\n")
	for i := len(blocks) - 1; i >= 0; i-- {
		if strings.HasPrefix(blocks[i], "HTTP/") && !strings.HasPrefix(blocks[i], "HTTP/1.1 100") {
			for _, line := range strings.Split(blocks[i], "\n")[1:] {
				if k, v, ok := strings.Cut(line, ":"); ok {
					r.header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
				}
			}
			break
		}
	}
	return r
}

func (r curlResult) want(t *testing.T, code int) curlResult {
	t.Helper()
	if r.code != code {
		t.Fatalf("status %d, want %d: %s", r.code, code, r.body)
	}
	return r
}

func (r curlResult) json(t *testing.T, path ...string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	for _, p := range path {
		m = m[p].(map[string]any)
	}
	return m
}

// remote checks a RemoteException answer: status, Java class, message.
func (r curlResult) remote(t *testing.T, code int, exception, msgPart string) {
	t.Helper()
	r.want(t, code)
	e := r.json(t, "RemoteException")
	if e["exception"] != exception || !strings.Contains(e["message"].(string), msgPart) {
		t.Fatalf("RemoteException %v, want %s with %q", e, exception, msgPart)
	}
}

// wh builds a WebHDFS URL.
func (d *daemon) wh(path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	return d.url() + path + "?" + q.Encode()
}

func randomFile(t *testing.T, seed uint64, n int) (string, []byte) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	p := filepath.Join(t.TempDir(), fmt.Sprintf("f%d", seed))
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, b
}

// rpcCLI runs the Go HDFS client's CLI against the daemon's RPC port.
func (d *daemon) rpcCLI(t *testing.T, user string, args ...string) string {
	t.Helper()
	cmd := exec.Command(testenv.Get(t).Tool(t, "hdfs"), args...)
	cmd.Env = append(os.Environ(), "HADOOP_NAMENODE="+d.NameNode, "HADOOP_USER_NAME="+user, "HADOOP_CONF_DIR=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("hdfs %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestCurl drives every supported op with curl, in each bucket, as the
// superuser and as a second user, and checks what S3 holds.
func TestCurl(t *testing.T) {
	d := startDaemon(t, nil)
	su := superuser(t)
	for i, dir := range dirs {
		t.Run(dir, func(t *testing.T) { curlScenario(t, d, dir, su, uint64(i)) })
	}
	t.Run("server", func(t *testing.T) {
		if p := curl(t, d.wh("/", "op", "GETHOMEDIRECTORY")).want(t, 200).json(t)["Path"]; p != "/user/dr.who" {
			t.Errorf("home of the static user: %v", p)
		}
		if p := curl(t, d.wh("/", "op", "GETHOMEDIRECTORY", "user.name", "alice")).want(t, 200).json(t)["Path"]; p != "/user/alice" {
			t.Errorf("home: %v", p)
		}
		sd := curl(t, d.wh("/", "op", "GETSERVERDEFAULTS")).want(t, 200).json(t, "FsServerDefaults")
		if sd["blockSize"] != 134217728.0 || sd["bytesPerChecksum"] != 512.0 || sd["checksumType"] != 2.0 || sd["replication"] != 1.0 {
			t.Errorf("server defaults %v", sd)
		}
		l := curl(t, d.wh("/", "op", "LISTSTATUS")).want(t, 200).json(t, "FileStatuses")["FileStatus"].([]any)
		var names []string
		for _, e := range l {
			names = append(names, e.(map[string]any)["pathSuffix"].(string))
		}
		if strings.Join(names, ",") != "csekms,plain,ssekms" {
			t.Errorf("root listing %v", names)
		}
		curl(t, d.wh("/plain", "op", "NOSUCHOP")).remote(t, 400, "IllegalArgumentException", "NOSUCHOP is not a valid GET operation.")
		curl(t, d.wh("/plain", "op", "GETFILESTATUS", "user.name", "bob", "doas", "alice")).
			remote(t, 403, "SecurityException", "User: bob is not allowed to impersonate alice")
	})
}

func curlScenario(t *testing.T, d *daemon, dir, su string, seed uint64) {
	base := "/" + dir + "/c"
	local, data := randomFile(t, seed, 300<<10+123)

	curl(t, d.wh(base, "op", "MKDIRS", "user.name", su), "-X", "PUT").want(t, 200)
	if b := curl(t, d.wh(base+"/pub", "op", "MKDIRS", "permission", "777", "user.name", su), "-X", "PUT").want(t, 200).json(t); b["boolean"] != true {
		t.Fatalf("mkdirs: %v", b)
	}

	// CREATE, the WebHDFS.md way: step one answers 307 without data, step
	// two sends it to the Location.
	first := curl(t, d.wh(base+"/f.bin", "op", "CREATE", "user.name", su, "overwrite", "false"), "-X", "PUT").want(t, http.StatusTemporaryRedirect)
	loc := first.header.Get("Location")
	if !strings.HasPrefix(loc, "http://"+d.HTTP+"/webhdfs/v1"+base+"/f.bin?op=CREATE&user.name="+su+"&namenoderpcaddress=") {
		t.Fatalf("Location %q", loc)
	}
	second := curl(t, loc, "-X", "PUT", "-T", local).want(t, http.StatusCreated)
	if got := second.header.Get("Location"); got != "hdfs://"+d.NameNode+base+"/f.bin" {
		t.Fatalf("201 Location %q", got)
	}
	// curl -L -T in one go works too: the 307 comes before any data.
	curl(t, d.wh(base+"/g.bin", "op", "CREATE", "user.name", su, "permission", "600"), "-L", "-X", "PUT", "-T", local).want(t, http.StatusCreated)

	st := curl(t, d.wh(base+"/f.bin", "op", "GETFILESTATUS", "user.name", "alice")).want(t, 200).json(t, "FileStatus")
	if st["length"] != float64(len(data)) || st["owner"] != su || st["permission"] != "644" || st["type"] != "FILE" || st["pathSuffix"] != "" {
		t.Fatalf("status %v", st)
	}
	l := curl(t, d.wh(base, "op", "LISTSTATUS", "user.name", "alice")).want(t, 200).json(t, "FileStatuses")["FileStatus"].([]any)
	if len(l) != 3 || l[0].(map[string]any)["pathSuffix"] != "f.bin" || l[1].(map[string]any)["pathSuffix"] != "g.bin" || l[2].(map[string]any)["type"] != "DIRECTORY" {
		t.Fatalf("listing %v", l)
	}

	// OPEN follows the redirect (curl -L); ranges.
	if got := curl(t, d.wh(base+"/f.bin", "op", "OPEN", "user.name", "alice"), "-L").want(t, 200); !bytes.Equal(got.body, data) {
		t.Fatalf("OPEN: %d bytes differ", len(got.body))
	}
	if got := curl(t, d.wh(base+"/f.bin", "op", "OPEN", "user.name", "alice", "offset", "100000", "length", "70000"), "-L").want(t, 200); !bytes.Equal(got.body, data[100000:170000]) {
		t.Fatalf("range: %d bytes differ", len(got.body))
	}
	curl(t, d.wh(base+"/f.bin", "op", "OPEN", "user.name", "alice", "offset", fmt.Sprint(len(data))), "-L").
		remote(t, 403, "IOException", fmt.Sprintf("Offset=%d out of the range [0, %d)", len(data), len(data)))
	d.checkAtRest(t, dir, "c/f.bin", data)

	// GETFILECHECKSUM equals what the RPC path gives `hdfs checksum`.
	sum := curl(t, d.wh(base+"/f.bin", "op", "GETFILECHECKSUM", "user.name", su), "-L").want(t, 200).json(t, "FileChecksum")
	rpc := strings.Fields(d.rpcCLI(t, su, "checksum", base+"/f.bin"))[0]
	if sum["algorithm"] != "MD5-of-0MD5-of-512CRC32C" || sum["length"] != 28.0 || sum["bytes"] != "00000200"+"0000000000000000"+rpc {
		t.Fatalf("checksum %v, RPC says %s", sum, rpc)
	}
	// Either front end reads what the other wrote.
	if got := d.rpcCLI(t, su, "cat", base+"/f.bin"); got != string(data) {
		t.Fatalf("hdfs cat of a WebHDFS file: %d bytes differ", len(got))
	}
	d.rpcCLI(t, su, "put", local, base+"/rpc.bin")
	if got := curl(t, d.wh(base+"/rpc.bin", "op", "OPEN", "user.name", su), "-L").want(t, 200); !bytes.Equal(got.body, data) {
		t.Fatal("WebHDFS OPEN of an RPC-written file differs")
	}

	// A second user is refused where HDFS refuses.
	alice := func(path string, kv ...string) string { return d.wh(path, append(kv, "user.name", "alice")...) }
	step := curl(t, alice(base+"/a.bin", "op", "CREATE"), "-X", "PUT").want(t, http.StatusTemporaryRedirect)
	curl(t, step.header.Get("Location"), "-X", "PUT", "-T", local).remote(t, 403, "AccessControlException", "Permission denied: user=alice, access=WRITE, inode=\""+base+"\"")
	curl(t, alice(base+"/x", "op", "MKDIRS"), "-X", "PUT").remote(t, 403, "AccessControlException", "user=alice, access=WRITE")
	curl(t, alice(base+"/g.bin", "op", "OPEN"), "-L").remote(t, 403, "AccessControlException", "user=alice, access=READ")
	curl(t, alice(base+"/f.bin", "op", "DELETE"), "-X", "DELETE").remote(t, 403, "AccessControlException", "user=alice, access=WRITE")
	curl(t, alice(base+"/f.bin", "op", "RENAME", "destination", base+"/pub/f.bin"), "-X", "PUT").remote(t, 403, "AccessControlException", "user=alice")
	curl(t, alice(base+"/f.bin", "op", "SETPERMISSION", "permission", "777"), "-X", "PUT").remote(t, 403, "AccessControlException", "is not the owner")
	curl(t, alice(base+"/pub/a.bin", "op", "CREATE"), "-L", "-X", "PUT", "-T", local).want(t, http.StatusCreated)
	if o := curl(t, alice(base+"/pub/a.bin", "op", "GETFILESTATUS")).want(t, 200).json(t, "FileStatus")["owner"]; o != "alice" {
		t.Fatalf("owner %v", o)
	}
	// An existing file is refused without overwrite.
	curl(t, d.wh(base+"/f.bin", "op", "CREATE", "user.name", su), "-L", "-X", "PUT", "-T", local).remote(t, 403, "FileAlreadyExistsException", base+"/f.bin")

	// Attributes.
	curl(t, d.wh(base+"/f.bin", "op", "SETPERMISSION", "permission", "640", "user.name", su), "-X", "PUT").want(t, 200)
	curl(t, d.wh(base+"/f.bin", "op", "SETOWNER", "owner", "bob", "group", "staff", "user.name", su), "-X", "PUT").want(t, 200)
	curl(t, d.wh(base+"/f.bin", "op", "SETTIMES", "modificationtime", "1700000000000", "accesstime", "1700000001000", "user.name", su), "-X", "PUT").want(t, 200)
	st = curl(t, d.wh(base+"/f.bin", "op", "GETFILESTATUS")).want(t, 200).json(t, "FileStatus")
	if st["permission"] != "640" || st["owner"] != "bob" || st["group"] != "staff" || st["modificationTime"] != 1700000000000.0 || st["accessTime"] != 1700000001000.0 {
		t.Fatalf("after SET*: %v", st)
	}
	curl(t, d.wh(base+"/f.bin", "op", "SETXATTR", "xattr.name", "user.team", "xattr.value", `"data"`, "flag", "CREATE", "user.name", "bob"), "-X", "PUT").want(t, 200)
	if x := curl(t, d.wh(base+"/f.bin", "op", "GETXATTRS", "xattr.name", "user.team", "encoding", "TEXT", "user.name", "bob")).want(t, 200); string(x.body) != `{"XAttrs":[{"name":"user.team","value":"\"data\""}]}` {
		t.Fatalf("xattrs %s", x.body)
	}
	if x := curl(t, d.wh(base+"/f.bin", "op", "LISTXATTRS", "user.name", "bob")).want(t, 200); string(x.body) != `{"XAttrNames":"[\"user.team\"]"}` {
		t.Fatalf("xattr names %s", x.body)
	}
	curl(t, d.wh(base+"/f.bin", "op", "REMOVEXATTR", "xattr.name", "user.team", "user.name", "bob"), "-X", "PUT").want(t, 200)

	// Content summary, trash root.
	cs := curl(t, d.wh(base, "op", "GETCONTENTSUMMARY", "user.name", su)).want(t, 200).json(t, "ContentSummary")
	if cs["fileCount"] != 4.0 || cs["directoryCount"] != 2.0 || cs["length"] != float64(4*len(data)) {
		t.Fatalf("content summary %v", cs)
	}
	if p := curl(t, d.wh(base+"/f.bin", "op", "GETTRASHROOT", "user.name", "alice")).want(t, 200).json(t)["Path"]; p != "/"+dir+"/.Trash/alice" {
		t.Fatalf("trash root %v", p)
	}

	// Rename, both forms.
	if b := curl(t, d.wh(base+"/f.bin", "op", "RENAME", "destination", base+"/h.bin", "user.name", su), "-X", "PUT").want(t, 200).json(t); b["boolean"] != true {
		t.Fatalf("rename %v", b)
	}
	curl(t, d.wh(base+"/f.bin", "op", "GETFILESTATUS", "user.name", su)).remote(t, 404, "FileNotFoundException", "File does not exist: "+base+"/f.bin")
	curl(t, d.wh(base+"/h.bin", "op", "RENAME", "destination", base+"/g.bin", "renameoptions", "OVERWRITE", "user.name", su), "-X", "PUT").want(t, 200)
	if got := curl(t, d.wh(base+"/g.bin", "op", "OPEN", "user.name", su), "-L").want(t, 200); !bytes.Equal(got.body, data) {
		t.Fatal("renamed file differs")
	}
	d.checkAtRest(t, dir, "c/g.bin", data)

	// Refused: append, truncate to a non-zero length, concat.
	curl(t, d.wh(base+"/g.bin", "op", "APPEND", "user.name", su), "-X", "POST").remote(t, 400, "UnsupportedOperationException", "append to "+base+"/g.bin is not supported")
	curl(t, d.wh(base+"/g.bin", "op", "TRUNCATE", "newlength", "10", "user.name", su), "-X", "POST").remote(t, 400, "UnsupportedOperationException", "truncate of "+base+"/g.bin to 10 bytes is not supported")
	curl(t, d.wh(base+"/g.bin", "op", "CONCAT", "sources", base+"/rpc.bin", "user.name", su), "-X", "POST").remote(t, 400, "UnsupportedOperationException", "concat")

	// A create cut off mid-body publishes nothing.
	cut := curl(t, d.wh(base+"/cut.bin", "op", "CREATE", "user.name", su), "-X", "PUT").want(t, http.StatusTemporaryRedirect)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	exec.CommandContext(ctx, "curl", "-s", "--limit-rate", "50K", "--max-time", "2", "-X", "PUT", "-T", local, cut.header.Get("Location")).Run()
	cancel()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := curl(t, d.wh(base+"/cut.bin", "op", "GETFILESTATUS", "user.name", su))
		if r.code == 404 {
			break
		}
		// While the server has not noticed yet, the file shows as being
		// written (HDFS shows open files too) but never as complete.
		if time.Now().After(deadline) {
			t.Fatalf("cut create: still %d %s", r.code, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := d.env.S3Client().HeadObject(context.Background(), headInput(d.buckets[dir], "c/cut.bin")); err == nil {
		t.Fatal("a cut create left an object in S3")
	}

	// Delete: not recursive on a non-empty directory, then recursive.
	curl(t, d.wh(base, "op", "DELETE", "user.name", su), "-X", "DELETE").remote(t, 403, "PathIsNotEmptyDirectoryException", "is non empty")
	if b := curl(t, d.wh(base, "op", "DELETE", "recursive", "true", "user.name", su), "-X", "DELETE").want(t, 200).json(t); b["boolean"] != true {
		t.Fatalf("delete %v", b)
	}
	curl(t, d.wh(base, "op", "LISTSTATUS", "user.name", su)).remote(t, 404, "FileNotFoundException", base)
}

// runCurlExpectFailure checks that curl cannot complete a request to u
// (e.g. an untrusted certificate).
func runCurlExpectFailure(u string) error {
	out, err := exec.Command("curl", "-s", "-S", "-o", "/dev/null", u).CombinedOutput()
	if err == nil {
		return fmt.Errorf("curl %s succeeded: %s", u, out)
	}
	return nil
}
