package namenode

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/colinmarc/hdfs/v2"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/emrfsd/emrfsd/blocks"
	"github.com/emrfsd/emrfsd/datanode"
	"github.com/emrfsd/emrfsd/dfs"
	"github.com/emrfsd/emrfsd/fs"
	"github.com/emrfsd/emrfsd/internal/testenv"
	commonpb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/common"
	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
	"github.com/emrfsd/emrfsd/providers"
	"github.com/emrfsd/emrfsd/providers/plain"
)

// cluster is a NameNode + DataNode over a fresh MinIO bucket, reached with
// the colinmarc/hdfs Go client as user "alice" (and the superuser "root").
type cluster struct {
	nn     *Server
	bucket string
	root   string // "/" + bucket
	alice  *hdfs.Client
	admin  *hdfs.Client
	addr   string
}

func newCluster(t *testing.T, o dfs.Options) *cluster {
	t.Helper()
	return newClusterWith(t, o, plain.New())
}

// newClusterWith is newCluster with every bucket encoded by pr.
func newClusterWith(t *testing.T, o dfs.Options, pr providers.Provider) *cluster {
	t.Helper()
	env := testenv.Get(t)
	bucket := env.NewBucket(t, "nn")
	ctx := context.Background()
	f, err := fs.New(ctx, fs.Options{
		S3:       env.S3Client(),
		Buckets:  map[string]string{bucket: bucket},
		Provider: func(context.Context, string) (providers.Provider, error) { return pr, nil },
		PartSize: fs.MinPartSize,
		// Bucket roots cannot carry metadata; they show the defaults.
		DefaultOwner: "alice",
		Logger:       testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	dl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o.FS = f
	o.SuperUser = "root"
	if o.Groups == nil {
		o.Groups = func(u string) []string { return []string{u + "-group"} }
	}
	// Block tokens on, as the daemon runs by default: every client read
	// and write below proves the clients pass the tokens they are given.
	bt, err := blocks.New(blocks.Options{FS: f, PoolID: "BP-test", Tokens: true, TokenLifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	nn, addr := startServer(t, Options{Blocks: bt, DataNode: DataNode{IPAddr: "127.0.0.1", XferPort: dl.Addr().(*net.TCPAddr).Port}}, o)
	dn := datanode.New(datanode.Options{Blocks: nn.Blocks(), Logger: testLogger(t)})
	dnDone := make(chan error, 1)
	go func() { dnDone <- dn.Serve(ctx, dl) }()
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		dn.Shutdown(sctx)
		<-dnDone
	})
	c := &cluster{nn: nn, bucket: bucket, root: "/" + bucket, addr: addr}
	c.alice = c.client(t, "alice")
	c.admin = c.client(t, "root")
	return c
}

func (c *cluster) client(t *testing.T, user string) *hdfs.Client {
	t.Helper()
	cl, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{c.addr}, User: user})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

func TestClientNamespace(t *testing.T) {
	c := newCluster(t, dfs.Options{PermissionsEnabled: true})
	cl, r := c.alice, c.root

	if _, err := cl.Stat(r + "/missing"); !os.IsNotExist(err) {
		t.Fatalf("Stat missing: %v", err)
	}
	if err := cl.Remove(r + "/missing"); !os.IsNotExist(err) {
		t.Errorf("Remove missing: %v", err)
	}
	if err := cl.Mkdir(r+"/a/b", 0755); !os.IsNotExist(err) {
		t.Errorf("Mkdir without parent: %v", err)
	}
	if err := cl.MkdirAll(r+"/a/b/c", 0750); err != nil {
		t.Fatal(err)
	}
	if err := cl.Mkdir(r+"/a/d", 0755); err != nil {
		t.Fatal(err)
	}
	fi, err := cl.Stat(r + "/a/b/c")
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0750 {
		t.Fatalf("Stat dir: %v %v", fi, err)
	}
	if o := fi.(*hdfs.FileInfo).Owner(); o != "alice" {
		t.Errorf("owner %q", o)
	}
	if err := cl.MkdirAll(r+"/a/b/c", 0750); err != nil {
		t.Errorf("MkdirAll existing: %v", err)
	}

	// Small files (written through the DataNode).
	for i, name := range []string{"f1", "f2", "f3"} {
		if err := writeFile(cl, r+"/a/"+name, bytes.Repeat([]byte{byte('x' + i)}, 10*(i+1))); err != nil {
			t.Fatalf("write %s: %v", name, err)
		}
	}
	entries, err := cl.ReadDir(r + "/a")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name()+":"+strconv.FormatInt(e.Size(), 10))
	}
	if got := joinS(names); got != "b:0 d:0 f1:10 f2:20 f3:30" {
		t.Errorf("ReadDir: %s", got)
	}
	if _, err := cl.ReadDir(r + "/missing"); !os.IsNotExist(err) {
		t.Errorf("ReadDir missing: %v", err)
	}

	// Rename a file and a directory.
	if err := cl.Rename(r+"/a/f1", r+"/a/d/g1"); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Stat(r + "/a/f1"); !os.IsNotExist(err) {
		t.Errorf("renamed source still there: %v", err)
	}
	if data, err := cl.ReadFile(r + "/a/d/g1"); err != nil || string(data) != "xxxxxxxxxx" {
		t.Errorf("renamed file: %q %v", data, err)
	}
	if err := cl.Rename(r+"/a/d", r+"/a/e"); err != nil {
		t.Fatal(err)
	}
	if fi, err := cl.Stat(r + "/a/e/g1"); err != nil || fi.Size() != 10 {
		t.Errorf("after dir rename: %v %v", fi, err)
	}
	if err := cl.Rename(r+"/nope", r+"/a/x"); !os.IsNotExist(err) {
		t.Errorf("rename missing: %v", err)
	}

	// Attributes.
	if err := cl.Chmod(r+"/a/f2", 0600); err != nil {
		t.Fatal(err)
	}
	mt := time.UnixMilli(1_600_000_000_000)
	at := time.UnixMilli(1_600_000_100_000)
	if err := cl.Chtimes(r+"/a/f2", at, mt); err != nil {
		t.Fatal(err)
	}
	fi, err = cl.Stat(r + "/a/f2")
	if err != nil || fi.Mode().Perm() != 0600 || !fi.ModTime().Equal(mt) {
		t.Fatalf("after chmod/chtimes: %v %v", fi, err)
	}
	if got := fi.(*hdfs.FileInfo).AccessTime(); !got.Equal(at) {
		t.Errorf("atime %v, want %v", got, at)
	}
	// alice may not give files away; the superuser may.
	if err := cl.Chown(r+"/a/f2", "bob", ""); !os.IsPermission(err) {
		t.Errorf("chown by non-superuser: %v", err)
	}
	if err := c.admin.Chown(r+"/a/f2", "bob", "staff"); err != nil {
		t.Fatal(err)
	}
	fi, _ = cl.Stat(r + "/a/f2")
	if hfi := fi.(*hdfs.FileInfo); hfi.Owner() != "bob" || hfi.OwnerGroup() != "staff" {
		t.Errorf("after chown: %s:%s", hfi.Owner(), hfi.OwnerGroup())
	}
	// Now bob's 0600 file is unreadable and its mode unchangeable for alice.
	if _, err := cl.ReadFile(r + "/a/f2"); !isRemote(err, "org.apache.hadoop.security.AccessControlException") {
		t.Errorf("read of bob's 0600 file: %v", err)
	}
	if err := cl.Chmod(r+"/a/f2", 0644); !os.IsPermission(err) {
		t.Errorf("chmod of bob's file: %v", err)
	}

	// Content summary and fs stats.
	cs, err := cl.GetContentSummary(r + "/a")
	if err != nil {
		t.Fatal(err)
	}
	if cs.Size() != 60 || cs.FileCount() != 3 || cs.DirectoryCount() != 4 {
		t.Errorf("summary size %d files %d dirs %d", cs.Size(), cs.FileCount(), cs.DirectoryCount())
	}
	fsi, err := cl.StatFs()
	if err != nil || fsi.Capacity == 0 || fsi.Remaining != fsi.Capacity {
		t.Errorf("StatFs %+v %v", fsi, err)
	}

	// xattrs.
	if err := cl.SetXAttr(r+"/a/f3", "user.color", "blue"); err != nil {
		t.Fatal(err)
	}
	if err := cl.SetXAttr(r+"/a/f3", "user.size", "L"); err != nil {
		t.Fatal(err)
	}
	if m, err := cl.ListXAttrs(r + "/a/f3"); err != nil || len(m) != 2 || m["user.color"] != "blue" {
		t.Errorf("ListXAttrs %v %v", m, err)
	}
	if m, err := cl.GetXAttrs(r+"/a/f3", "user.color"); err != nil || m["user.color"] != "blue" {
		t.Errorf("GetXAttrs %v %v", m, err)
	}
	if _, err := cl.GetXAttrs(r+"/a/f3", "user.nope"); err == nil || !errors.Is(err, errXAttrNotFoundInClient(err)) {
		t.Errorf("GetXAttrs missing: %v", err)
	}
	if err := cl.RemoveXAttr(r+"/a/f3", "user.color"); err != nil {
		t.Fatal(err)
	}
	if err := cl.RemoveXAttr(r+"/a/f3", "user.color"); err == nil {
		t.Error("removing a missing xattr succeeded")
	}
	if m, err := cl.ListXAttrs(r + "/a/f3"); err != nil || len(m) != 1 {
		t.Errorf("after remove %v %v", m, err)
	}
	if err := cl.SetXAttr(r+"/a/f3", "trusted.x", "1"); err == nil {
		t.Error("trusted xattr accepted")
	}

	// Remove and RemoveAll.
	if err := cl.Remove(r + "/a/b"); err == nil {
		t.Error("Remove of a non-empty dir succeeded")
	}
	if err := cl.Remove(r + "/a/f3"); err != nil {
		t.Fatal(err)
	}
	if err := cl.RemoveAll(r + "/a"); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Stat(r + "/a"); !os.IsNotExist(err) {
		t.Errorf("after RemoveAll: %v", err)
	}
	if err := cl.RemoveAll(r + "/a"); err != nil {
		t.Errorf("RemoveAll missing: %v", err)
	}
}

// isRemote reports a NameNode exception of the given class (colinmarc
// does not translate errors from reads).
func isRemote(err error, class string) bool {
	var re hdfs.Error
	return errors.As(err, &re) && re.Exception() == class
}

// errXAttrNotFoundInClient returns the client's "not found" sentinel from a
// PathError (colinmarc does not export it).
func errXAttrNotFoundInClient(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) && pe.Err.Error() == "one or more keys not found" {
		return pe.Err
	}
	return errors.New("not the client's not-found error")
}

func joinS(s []string) string {
	sort.Strings(s)
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

func writeFile(cl *hdfs.Client, p string, data []byte) error {
	w, err := cl.Create(p)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// Multi-block files round-trip through NN + DN.
func TestClientReadWriteBlocks(t *testing.T) {
	c := newCluster(t, dfs.Options{})
	cl := c.alice
	data := make([]byte, 3<<20+12345)
	rand.Read(data)
	w, err := cl.CreateFile(c.root+"/big", 1, 1<<20, 0644)
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(data); off += 100000 {
		if _, err := w.Write(data[off:min(off+100000, len(data))]); err != nil {
			t.Fatal(err)
		}
	}
	// Another writer cannot create the same file meanwhile.
	if _, err := c.admin.Create(c.root + "/big"); !os.IsExist(err) {
		t.Errorf("second create: %v", err)
	}
	if _, err := cl.Stat(c.root + "/big"); err != nil {
		t.Errorf("a file being written is visible to getFileInfo: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := cl.ReadFile(c.root + "/big")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, differ from the %d written", len(got), len(data))
	}
	r, err := cl.Open(c.root + "/big")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf := make([]byte, 5000)
	if _, err := r.ReadAt(buf, 2<<20-100); err != nil || !bytes.Equal(buf, data[2<<20-100:2<<20+4900]) {
		t.Errorf("ReadAt across a block boundary: %v", err)
	}
	// Empty file and truncate-to-0.
	if err := cl.CreateEmptyFile(c.root + "/empty"); err != nil {
		t.Fatal(err)
	}
	if fi, err := cl.Stat(c.root + "/empty"); err != nil || fi.Size() != 0 {
		t.Errorf("empty file %v %v", fi, err)
	}
	if _, err := cl.Truncate(c.root+"/big", 10); err == nil {
		t.Error("truncate to 10 bytes succeeded")
	}
	if ok, err := cl.Truncate(c.root+"/big", 0); err != nil || !ok {
		t.Errorf("truncate to 0: %v %v", ok, err)
	}
	if fi, err := cl.Stat(c.root + "/big"); err != nil || fi.Size() != 0 {
		t.Errorf("after truncate %v %v", fi, err)
	}
	if _, err := cl.Append(c.root + "/empty"); err == nil {
		t.Error("append succeeded")
	}
}

// An abandoned writer's lease expires and its upload is aborted, freeing
// the path for others.
func TestLeaseExpiry(t *testing.T) {
	// The lease starts before create's S3 round trips, so the hard limit
	// must outlast a create on a loaded machine or it expires before the
	// check below sees it.
	c := newCluster(t, dfs.Options{LeaseSoftLimit: time.Second, LeaseHardLimit: 3 * time.Second})
	// A raw client creates a file and never renews its lease.
	rc := dialRaw(t, c.addr)
	rc.handshake("carol")
	ok := createRaw(t, rc, c.root+"/abandoned", "carol-client")
	if !ok {
		t.Fatal("create failed")
	}
	if c.nn.ns.Writing(c.root+"/abandoned") == nil {
		t.Fatal("no lease recorded")
	}
	deadline := time.Now().Add(30 * time.Second)
	for c.nn.ns.Writing(c.root+"/abandoned") != nil {
		if time.Now().After(deadline) {
			t.Fatal("lease never expired")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := c.alice.Stat(c.root + "/abandoned"); !os.IsNotExist(err) {
		t.Errorf("aborted file visible: %v", err)
	}
	if err := writeFile(c.alice, c.root+"/abandoned", []byte("mine")); err != nil {
		t.Errorf("create after expiry: %v", err)
	}
}

// createRaw sends a create call and reports success.
func createRaw(t *testing.T, rc *rawClient, p, clientName string) bool {
	t.Helper()
	var resp hdfspb.CreateResponseProto
	h := rc.call(1, "create", &hdfspb.CreateRequestProto{
		Src: proto.String(p), Masked: &hdfspb.FsPermissionProto{Perm: proto.Uint32(0644)},
		ClientName: proto.String(clientName), CreateFlag: proto.Uint32(1), CreateParent: proto.Bool(true),
		Replication: proto.Uint32(1), BlockSize: proto.Uint64(1 << 20)}, &resp)
	if h.GetStatus() != commonpb.RpcResponseHeaderProto_SUCCESS {
		t.Logf("create: %s: %s", h.GetExceptionClassName(), h.GetErrorMsg())
		return false
	}
	return resp.GetFs().GetFileId() != 0
}

// getListing: batches with startAfter, locations on every file with
// needLocation, a file lists as itself, a missing path has no dirList; and
// permission checks on create.
func TestListingAndPermissions(t *testing.T) {
	c := newCluster(t, dfs.Options{ListLimit: 2, PermissionsEnabled: true})
	r := c.root
	if err := c.alice.Mkdir(r+"/d", 0755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"d/a", "d/b", "d/c"} {
		if err := writeFile(c.alice, r+"/"+n, []byte(n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.alice.Mkdir(r+"/d/sub", 0755); err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, c.addr)
	rc.handshake("alice")
	var names []string
	after := []byte{}
	for id := int32(1); ; id++ {
		var resp hdfspb.GetListingResponseProto
		h := rc.call(id, "getListing", &hdfspb.GetListingRequestProto{Src: proto.String(r + "/d"), StartAfter: after, NeedLocation: proto.Bool(true)}, &resp)
		if h.GetStatus() != commonpb.RpcResponseHeaderProto_SUCCESS {
			t.Fatalf("getListing: %v", h)
		}
		dl := resp.GetDirList()
		if len(dl.GetPartialListing()) > 2 {
			t.Fatalf("batch of %d > limit 2", len(dl.GetPartialListing()))
		}
		for _, st := range dl.GetPartialListing() {
			names = append(names, string(st.GetPath()))
			if st.GetFileType() == hdfspb.HdfsFileStatusProto_IS_FILE && (st.GetLocations() == nil || len(st.GetLocations().GetBlocks()) != 1) {
				t.Errorf("%s has no locations", st.GetPath())
			}
			after = st.GetPath()
		}
		if dl.GetRemainingEntries() == 0 {
			break
		}
	}
	if joinS(names) != "a b c sub" {
		t.Errorf("listing %v", names)
	}
	var resp hdfspb.GetListingResponseProto
	rc.call(100, "getListing", &hdfspb.GetListingRequestProto{Src: proto.String(r + "/d/a"), StartAfter: []byte{}, NeedLocation: proto.Bool(false)}, &resp)
	if pl := resp.GetDirList().GetPartialListing(); len(pl) != 1 || len(pl[0].GetPath()) != 0 || pl[0].GetLength() != 3 {
		t.Errorf("listing a file: %v", &resp)
	}
	resp.Reset()
	rc.call(101, "getListing", &hdfspb.GetListingRequestProto{Src: proto.String(r + "/nope"), StartAfter: []byte{}, NeedLocation: proto.Bool(false)}, &resp)
	if resp.DirList != nil {
		t.Errorf("missing path has a dirList: %v", &resp)
	}
	var fi hdfspb.GetFileInfoResponseProto
	if h := rc.call(102, "getFileInfo", &hdfspb.GetFileInfoRequestProto{Src: proto.String(r + "/nope")}, &fi); h.GetStatus() != commonpb.RpcResponseHeaderProto_SUCCESS || fi.Fs != nil {
		t.Errorf("getFileInfo missing: %v %v", h, &fi)
	}

	// The superuser makes a directory alice cannot write into.
	if err := c.admin.Mkdir(r+"/locked", 0755); err != nil {
		t.Fatal(err)
	}
	if err := c.admin.Chown(r+"/locked", "root", "root"); err != nil {
		t.Fatal(err)
	}
	err := writeFile(c.alice, r+"/locked/f", []byte("x"))
	if !os.IsPermission(err) {
		t.Errorf("create in a 0755 dir of another user: %v", err)
	}
	if err := c.alice.Mkdir(r+"/locked/sub", 0755); !os.IsPermission(err) {
		t.Errorf("mkdir in a 0755 dir of another user: %v", err)
	}
	if err := c.alice.Remove(r + "/d/a"); err != nil {
		t.Errorf("remove own file: %v", err)
	}
}

// readBlockRaw sends one READ_BLOCK for b with token tok (nil: none) to
// the DataNode at addr and returns the op status and, on success, whether
// data followed.
func readBlockRaw(t *testing.T, addr string, b *hdfspb.ExtendedBlockProto, tok *commonpb.TokenProto) hdfspb.Status {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	op := &hdfspb.OpReadBlockProto{
		Header: &hdfspb.ClientOperationHeaderProto{BaseHeader: &hdfspb.BaseHeaderProto{Block: b, Token: tok}, ClientName: proto.String("raw")},
		Offset: proto.Uint64(0), Len: proto.Uint64(b.GetNumBytes()),
	}
	body, err := proto.Marshal(op)
	if err != nil {
		t.Fatal(err)
	}
	msg := append([]byte{0, 28, 81}, protowire.AppendVarint(nil, uint64(len(body)))...)
	if _, err := nc.Write(append(msg, body...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	n, err := binary.ReadUvarint(br)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(br, buf); err != nil {
		t.Fatal(err)
	}
	var resp hdfspb.BlockOpResponseProto
	if err := proto.Unmarshal(buf, &resp); err != nil {
		t.Fatal(err)
	}
	return resp.GetStatus()
}

// Issue 15.3: the DataNode serves a block only with the token the NameNode
// handed out for it. A user who cannot open a file through the NameNode
// cannot read its blocks by naming their ids, nor with a token for another
// block or a token whose fields were altered.
func TestBlockTokensRequired(t *testing.T) {
	c := newCluster(t, dfs.Options{PermissionsEnabled: true})
	secret := []byte("root's secret bytes")
	if err := writeFile(c.admin, c.root+"/secret", secret); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(c.admin, c.root+"/other", []byte("another file")); err != nil {
		t.Fatal(err)
	}
	if err := c.admin.Chmod(c.root+"/secret", 0600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.alice.ReadFile(c.root + "/secret"); err == nil || !strings.Contains(err.Error(), "AccessControlException") {
		t.Fatalf("alice read root's 0600 file through the NameNode: %v", err)
	}
	locate := func(user, p string) *hdfspb.LocatedBlockProto {
		rc := dialRaw(t, c.addr)
		rc.handshake(user)
		var resp hdfspb.GetBlockLocationsResponseProto
		if h := rc.call(1, "getBlockLocations", &hdfspb.GetBlockLocationsRequestProto{Src: proto.String(p), Offset: proto.Uint64(0), Length: proto.Uint64(1 << 20)}, &resp); h.GetStatus() != commonpb.RpcResponseHeaderProto_SUCCESS {
			t.Fatalf("getBlockLocations %s as %s: %s", p, user, h.GetErrorMsg())
		}
		return resp.GetLocations().GetBlocks()[0]
	}
	lb := locate("root", c.root+"/secret")
	if lb.GetBlockToken().GetKind() != blocks.TokenKind || len(lb.GetBlockToken().GetPassword()) == 0 {
		t.Fatalf("no block token handed out: %v", lb.GetBlockToken())
	}
	dn := fmt.Sprintf("127.0.0.1:%d", lb.GetLocs()[0].GetId().GetXferPort())
	if st := readBlockRaw(t, dn, lb.GetB(), lb.GetBlockToken()); st != hdfspb.Status_SUCCESS {
		t.Fatalf("read with the issued token: %v", st)
	}
	if st := readBlockRaw(t, dn, lb.GetB(), nil); st != hdfspb.Status_ERROR_ACCESS_TOKEN {
		t.Errorf("read with no token: %v, want ERROR_ACCESS_TOKEN", st)
	}
	other := locate("alice", c.root+"/other")
	if st := readBlockRaw(t, dn, lb.GetB(), other.GetBlockToken()); st != hdfspb.Status_ERROR_ACCESS_TOKEN {
		t.Errorf("read with alice's token for another file: %v, want ERROR_ACCESS_TOKEN", st)
	}
	forged := proto.Clone(lb.GetBlockToken()).(*commonpb.TokenProto)
	forged.Identifier[len(forged.Identifier)/2] ^= 1
	if st := readBlockRaw(t, dn, lb.GetB(), forged); st != hdfspb.Status_ERROR_ACCESS_TOKEN {
		t.Errorf("read with an altered token: %v, want ERROR_ACCESS_TOKEN", st)
	}
	// Block ids are not sequential: the two files' ids share no pattern a
	// neighbour search would find.
	if d := int64(lb.GetB().GetBlockId() - other.GetB().GetBlockId()); d > -1000 && d < 1000 {
		t.Errorf("block ids %d and %d are neighbours", lb.GetB().GetBlockId(), other.GetB().GetBlockId())
	}
}

// dfs.datanode.hostname unset and the DataNode on a wildcard address: each
// client is told to reach the DataNode at the address it reached the
// NameNode at (here 127.0.0.2, another loopback address), not 0.0.0.0.
func TestDataNodeAddressFromConnection(t *testing.T) {
	env := testenv.Get(t)
	bucket := env.NewBucket(t, "nn")
	f, err := fs.New(context.Background(), fs.Options{S3: env.S3Client(), Buckets: map[string]string{bucket: bucket},
		Provider: func(context.Context, string) (providers.Provider, error) { return plain.New(), nil }})
	if err != nil {
		t.Fatal(err)
	}
	_, addr := startServer(t, Options{ID: "127.0.0.2:0", DataNode: DataNode{FromConn: true, IPAddr: "0.0.0.0", XferPort: 9866}},
		dfs.Options{FS: f, SuperUser: "root"})
	if !strings.HasPrefix(addr, "127.0.0.2:") {
		t.Fatalf("listening on %s", addr)
	}
	rc := dialRaw(t, addr)
	rc.handshake("root")
	p := "/" + bucket + "/f"
	if !createRaw(t, rc, p, "c1") {
		t.Fatal("create failed")
	}
	var resp hdfspb.AddBlockResponseProto
	if h := rc.call(2, "addBlock", &hdfspb.AddBlockRequestProto{Src: proto.String(p), ClientName: proto.String("c1")}, &resp); h.GetStatus() != commonpb.RpcResponseHeaderProto_SUCCESS {
		t.Fatalf("addBlock: %s", h.GetErrorMsg())
	}
	id := resp.GetBlock().GetLocs()[0].GetId()
	if id.GetIpAddr() != "127.0.0.2" || id.GetHostName() != "127.0.0.2" || id.GetXferPort() != 9866 {
		t.Errorf("advertised DataNode %v, want 127.0.0.2:9866", id)
	}
}

// Issue 15.1: a recursive delete needs write and execute (and read) on
// every non-empty directory below the one deleted, as HDFS's checkSubAccess;
// the parent's write permission and sticky bit alone are not enough.
func TestRecursiveDeleteChecksSubtree(t *testing.T) {
	c := newCluster(t, dfs.Options{PermissionsEnabled: true})
	r, root, alice := c.root, c.admin, c.alice
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("mkdir pub", root.MkdirAll(r+"/pub", 0777))
	must("chmod pub", root.Chmod(r+"/pub", 0777))
	must("mkdir priv", root.MkdirAll(r+"/pub/priv", 0700))
	must("write priv/f", writeFile(root, r+"/pub/priv/f", []byte("root only")))
	must("chmod priv/f", root.Chmod(r+"/pub/priv/f", 0600))
	must("mkdir ro", root.MkdirAll(r+"/pub/ro/sub", 0755))
	must("write ro/sub/f", writeFile(root, r+"/pub/ro/sub/f", []byte("x")))
	// A directory alice owns and may write, holding root's private one.
	must("mkdir mine", alice.MkdirAll(r+"/pub/mine", 0777))
	must("mkdir mine/rootdir", root.MkdirAll(r+"/pub/mine/rootdir", 0700))
	must("write mine/rootdir/f", writeFile(root, r+"/pub/mine/rootdir/f", []byte("y")))
	must("mkdir own", alice.MkdirAll(r+"/pub/own/a/b", 0755))
	must("write own/a/b/f", writeFile(alice, r+"/pub/own/a/b/f", []byte("z")))

	for _, p := range []string{"/pub/priv", "/pub/ro", "/pub/mine"} {
		err := alice.RemoveAll(r + p)
		if err == nil || !strings.Contains(err.Error(), "AccessControlException") && !os.IsPermission(err) {
			t.Errorf("alice rm -r %s: %v, want permission denied", p, err)
		}
	}
	for _, p := range []string{"/pub/priv/f", "/pub/ro/sub/f", "/pub/mine/rootdir/f"} {
		if _, err := root.Stat(r + p); err != nil {
			t.Errorf("%s gone after a refused delete: %v", p, err)
		}
	}
	// Her own tree goes, and root may delete anything.
	must("alice rm -r own", alice.RemoveAll(r+"/pub/own"))
	must("root rm -r pub", root.RemoveAll(r+"/pub"))
}
