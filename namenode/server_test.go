package namenode

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/emrfsd/emrfsd/dfs"
	"github.com/emrfsd/emrfsd/fs"
	commonpb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/common"
	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
	"github.com/emrfsd/emrfsd/providers"
	"github.com/emrfsd/emrfsd/providers/plain"
)

func TestServerDefaultsAndEcho(t *testing.T) {
	_, addr := startServer(t, Options{}, dfs.Options{BlockSize: 64 << 20})
	rc := dialRaw(t, addr)
	rc.handshake("alice")
	var resp hdfspb.GetServerDefaultsResponseProto
	h := rc.call(7, "getServerDefaults", &hdfspb.GetServerDefaultsRequestProto{}, &resp)
	if h.GetStatus() != commonpb.RpcResponseHeaderProto_SUCCESS {
		t.Fatalf("status %v: %s %s", h.GetStatus(), h.GetExceptionClassName(), h.GetErrorMsg())
	}
	if h.GetServerIpcVersionNum() != 9 || !bytes.Equal(h.GetClientId(), rc.id) || h.GetRetryCount() != -1 {
		t.Errorf("header does not echo: %v", h)
	}
	d := resp.GetServerDefaults()
	if d.GetChecksumType() != hdfspb.ChecksumTypeProto_CHECKSUM_CRC32C || d.GetBlockSize() != 64<<20 ||
		d.GetEncryptDataTransfer() || d.GetTrashInterval() != 0 || d.GetBytesPerChecksum() != 512 {
		t.Errorf("server defaults: %v", d)
	}
}

func TestUnknownMethodAndProtocol(t *testing.T) {
	_, addr := startServer(t, Options{}, dfs.Options{})
	rc := dialRaw(t, addr)
	rc.handshake("alice")
	h := rc.call(1, "concat", &hdfspb.MsyncRequestProto{}, nil)
	if h.GetStatus() != commonpb.RpcResponseHeaderProto_ERROR ||
		h.GetErrorDetail() != commonpb.RpcResponseHeaderProto_ERROR_NO_SUCH_METHOD ||
		h.GetExceptionClassName() != "org.apache.hadoop.ipc.RpcNoSuchMethodException" ||
		!strings.Contains(h.GetErrorMsg(), "Unknown method concat") {
		t.Errorf("unknown method answered %v", h)
	}
	// Other protocols.
	rc.write(frameOf(t, rc.header(2), &commonpb.RequestHeaderProto{
		MethodName: proto.String("getServiceStatus"), DeclaringClassProtocolName: proto.String("org.apache.hadoop.ha.HAServiceProtocol"),
		ClientProtocolVersion: proto.Uint64(1)}, &hdfspb.MsyncRequestProto{}))
	h, err := rc.readResponse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if h.GetErrorDetail() != commonpb.RpcResponseHeaderProto_ERROR_NO_SUCH_PROTOCOL || h.GetExceptionClassName() != exNoSuchProtocol {
		t.Errorf("unknown protocol answered %v", h)
	}
	// The connection stays usable.
	var st hdfspb.HAServiceStateResponseProto
	if h := rc.call(3, "getHAServiceState", &hdfspb.HAServiceStateRequestProto{}, &st); h.GetStatus() != commonpb.RpcResponseHeaderProto_SUCCESS ||
		st.GetState() != commonpb.HAServiceStateProto_ACTIVE {
		t.Errorf("after errors: %v %v", h, &st)
	}
}

func TestSASLProbe(t *testing.T) {
	_, addr := startServer(t, Options{}, dfs.Options{})
	rc := dialRaw(t, addr)
	rc.write([]byte{'h', 'r', 'p', 'c', 9, 0, 0xDF})
	rc.write(frameOf(t, rc.header(callIDSASL), &commonpb.RpcSaslProto{State: commonpb.RpcSaslProto_NEGOTIATE.Enum()}))
	var sasl commonpb.RpcSaslProto
	h, err := rc.readResponse(&sasl)
	if err != nil {
		t.Fatal(err)
	}
	if int32(h.GetCallId()) != -33 || h.GetStatus() != commonpb.RpcResponseHeaderProto_SUCCESS || sasl.GetState() != commonpb.RpcSaslProto_SUCCESS {
		t.Fatalf("negotiate answered %v %v", h, &sasl)
	}
	rc.context("bob")
	if h := rc.call(1, "msync", &hdfspb.MsyncRequestProto{}, nil); h.GetStatus() != commonpb.RpcResponseHeaderProto_SUCCESS {
		t.Errorf("call after SASL fallback: %v", h)
	}
}

func TestSASLOtherStateRefused(t *testing.T) {
	_, addr := startServer(t, Options{}, dfs.Options{})
	rc := dialRaw(t, addr)
	rc.write([]byte{'h', 'r', 'p', 'c', 9, 0, 0xDF})
	rc.write(frameOf(t, rc.header(callIDSASL), &commonpb.RpcSaslProto{State: commonpb.RpcSaslProto_INITIATE.Enum()}))
	h, err := rc.readResponse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if h.GetStatus() != commonpb.RpcResponseHeaderProto_FATAL || h.GetErrorDetail() != commonpb.RpcResponseHeaderProto_FATAL_UNAUTHORIZED {
		t.Errorf("got %v", h)
	}
	rc.expectClosed()
}

func TestBadPreambles(t *testing.T) {
	_, addr := startServer(t, Options{}, dfs.Options{})
	t.Run("version", func(t *testing.T) {
		rc := dialRaw(t, addr)
		rc.write([]byte{'h', 'r', 'p', 'c', 10, 0, 0})
		h, err := rc.readResponse(nil)
		if err != nil {
			t.Fatal(err)
		}
		if int32(h.GetCallId()) != -1 || h.GetStatus() != commonpb.RpcResponseHeaderProto_FATAL ||
			h.GetErrorDetail() != commonpb.RpcResponseHeaderProto_FATAL_VERSION_MISMATCH ||
			h.GetExceptionClassName() != "org.apache.hadoop.ipc.RPC$VersionMismatch" {
			t.Errorf("got %v", h)
		}
		rc.expectClosed()
	})
	t.Run("magic", func(t *testing.T) {
		rc := dialRaw(t, addr)
		rc.write([]byte{'x', 'r', 'p', 'c', 9, 0, 0})
		h, err := rc.readResponse(nil)
		if err != nil || h.GetErrorDetail() != commonpb.RpcResponseHeaderProto_FATAL_VERSION_MISMATCH {
			t.Errorf("got %v, %v", h, err)
		}
		rc.expectClosed()
	})
	t.Run("auth", func(t *testing.T) {
		rc := dialRaw(t, addr)
		rc.write([]byte{'h', 'r', 'p', 'c', 9, 0, 0x51})
		h, err := rc.readResponse(nil)
		if err != nil || h.GetStatus() != commonpb.RpcResponseHeaderProto_FATAL || h.GetExceptionClassName() != exIPC {
			t.Errorf("got %v, %v", h, err)
		}
		rc.expectClosed()
	})
	t.Run("http", func(t *testing.T) {
		rc := dialRaw(t, addr)
		rc.write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		// The server may reset the connection (our request was not read
		// in full) after sending the notice.
		b, _ := io.ReadAll(rc.r)
		if !strings.HasPrefix(string(b), "HTTP/1.1 404") || !strings.Contains(string(b), "Hadoop IPC port") {
			t.Errorf("got %q", b)
		}
	})
	t.Run("call before context", func(t *testing.T) {
		rc := dialRaw(t, addr)
		rc.write([]byte{'h', 'r', 'p', 'c', 9, 0, 0})
		rc.sendCall(1, "msync", &hdfspb.MsyncRequestProto{})
		h, err := rc.readResponse(nil)
		if err != nil || h.GetErrorDetail() != commonpb.RpcResponseHeaderProto_FATAL_INVALID_RPC_HEADER {
			t.Errorf("got %v, %v", h, err)
		}
		rc.expectClosed()
	})
}

// A hostile frame closes its own connection; others keep working.
func TestMalformedFrameClosesOnlyItsConnection(t *testing.T) {
	_, addr := startServer(t, Options{MaxFrame: 1 << 20}, dfs.Options{})
	good := dialRaw(t, addr)
	good.handshake("alice")
	cases := map[string][]byte{
		"huge length":      {0x7f, 0xff, 0xff, 0xff},
		"zero length":      {0, 0, 0, 0},
		"garbage header":   {0, 0, 0, 4, 0x03, 0xff, 0xff, 0xff},
		"length overflow":  {0, 0, 0, 3, 0x7f, 0x08, 0x02},
		"missing callId":   append([]byte{0, 0, 0, 3, 2}, 0x08, 0x02),
		"body unparseable": nil, // built below
		"truncated body":   nil,
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			bad := dialRaw(t, addr)
			bad.handshake("mallory")
			switch name {
			case "body unparseable":
				hdr := frameOf(t, bad.header(1), &commonpb.RequestHeaderProto{MethodName: proto.String("getFileInfo"),
					DeclaringClassProtocolName: proto.String(clientProtocol), ClientProtocolVersion: proto.Uint64(1)})
				// Append a body whose required src is missing.
				raw = append(hdr, 0x00)
				binary.BigEndian.PutUint32(raw, uint32(len(raw)-4))
			case "truncated body":
				raw = []byte{0, 0, 0, 10, 1, 2}
			}
			bad.write(raw)
			if name == "truncated body" {
				bad.c.(interface{ CloseWrite() error }).CloseWrite()
			}
			bad.expectClosed()
			var st hdfspb.HAServiceStateResponseProto
			if h := good.call(int32(len(name)), "getHAServiceState", &hdfspb.HAServiceStateRequestProto{}, &st); h.GetStatus() != commonpb.RpcResponseHeaderProto_SUCCESS {
				t.Errorf("good connection broken: %v", h)
			}
		})
	}
}

// Calls are processed concurrently and answered by callId.
func TestPipelinedCalls(t *testing.T) {
	_, addr := startServer(t, Options{}, dfs.Options{})
	rc := dialRaw(t, addr)
	rc.handshake("alice")
	ids := []int32{40, 41, 42, 43, 44}
	for _, id := range ids {
		rc.sendCall(id, "getServerDefaults", &hdfspb.GetServerDefaultsRequestProto{})
	}
	rc.write(frameOf(t, rc.header(callIDPing))) // pings are ignored
	var got []int
	for range ids {
		var resp hdfspb.GetServerDefaultsResponseProto
		h, err := rc.readResponse(&resp)
		if err != nil {
			t.Fatal(err)
		}
		if h.GetStatus() != commonpb.RpcResponseHeaderProto_SUCCESS || resp.GetServerDefaults() == nil {
			t.Fatalf("bad response %v", h)
		}
		got = append(got, int(int32(h.GetCallId())))
	}
	sort.Ints(got)
	if fmt.Sprint(got) != "[40 41 42 43 44]" {
		t.Errorf("callIds %v", got)
	}
}

func TestMethodTable(t *testing.T) {
	s, _ := startServer(t, Options{}, dfs.Options{})
	if len(s.methods) < 45 {
		t.Errorf("only %d methods", len(s.methods))
	}
	for _, m := range []string{"getFileInfo", "getListing", "create", "addBlock", "complete", "renewLease", "rename", "rename2", "getFsStats", "getHAServiceState"} {
		if _, ok := s.methods[m]; !ok {
			t.Errorf("method %s missing", m)
		}
	}
}

// Responses built from statuses carry every required field.
func TestLocatedBlocksComplete(t *testing.T) {
	s, _ := startServer(t, Options{}, dfs.Options{BlockSize: 1 << 20})
	fi := dfs.Status{FileInfo: fs.FileInfo{Path: "/b/f", Name: "f", Size: 2<<20 + 5, Owner: "o", Group: "g", Perm: 0644, ETag: "e"}, BlockSize: 1 << 20, Replication: 1}
	lb := s.locatedBlocks(context.Background(), "u", fi, 0, fi.Size)
	if len(lb.Blocks) != 3 || lb.GetLastBlock().GetB().GetNumBytes() != 5 || lb.Blocks[2].GetOffset() != 2<<20 {
		t.Fatalf("blocks %v", lb)
	}
	st := s.status(fi, []byte("f"))
	st.Locations = lb
	if _, err := proto.Marshal(st); err != nil {
		t.Fatal(err)
	}
	// Stable ids for the same object version; a new version gets new ids.
	again := s.locatedBlocks(context.Background(), "u", fi, 1<<20, 1)
	if len(again.Blocks) != 1 || again.Blocks[0].GetB().GetBlockId() != lb.Blocks[1].GetB().GetBlockId() {
		t.Errorf("second lookup %v", again.Blocks)
	}
	fi.ETag = "e2"
	if n := s.locatedBlocks(context.Background(), "u", fi, 0, 1); n.Blocks[0].GetB().GetBlockId() == lb.Blocks[0].GetB().GetBlockId() {
		t.Error("new object version reused a block id")
	}
	empty := s.locatedBlocks(context.Background(), "u", dfs.Status{FileInfo: fs.FileInfo{Path: "/b/e"}, BlockSize: 1 << 20}, 0, 0)
	if _, err := proto.Marshal(empty); err != nil || len(empty.Blocks) != 0 {
		t.Errorf("empty file: %v %v", empty, err)
	}
}

// getEnclosingRoot on the wire: Hadoop's field names, a bucket's root for
// paths in it and "/" elsewhere (permissions off: no S3 call is made).
func TestGetEnclosingRootCall(t *testing.T) {
	f, err := fs.New(context.Background(), fs.Options{S3: noS3{}, Buckets: map[string]string{"warehouse": "warehouse-bucket"},
		Provider: func(context.Context, string) (providers.Provider, error) { return plain.New(), nil }})
	if err != nil {
		t.Fatal(err)
	}
	_, addr := startServer(t, Options{}, dfs.Options{FS: f})
	rc := dialRaw(t, addr)
	rc.handshake("alice")
	for i, tc := range []struct{ src, want string }{
		{"/warehouse/db/t/part-0", "/warehouse"},
		{"/warehouse", "/warehouse"},
		{"/tmp/x", "/"},
		{"/", "/"},
	} {
		var resp hdfspb.GetEnclosingRootResponseProto
		h := rc.call(int32(i+1), "getEnclosingRoot", &hdfspb.GetEnclosingRootRequestProto{Filename: proto.String(tc.src)}, &resp)
		if h.GetStatus() != commonpb.RpcResponseHeaderProto_SUCCESS || resp.GetEnclosingRootPath() != tc.want {
			t.Errorf("getEnclosingRoot(%s): %v %q, want %q", tc.src, h, resp.GetEnclosingRootPath(), tc.want)
		}
	}
}
