package namenode

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/emrfsd/emrfsd/dfs"
	"github.com/emrfsd/emrfsd/fs"
	"github.com/emrfsd/emrfsd/internal/s3api"
	commonpb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/common"
	"github.com/emrfsd/emrfsd/providers"
	"github.com/emrfsd/emrfsd/providers/plain"
)

// noS3 is an s3api.API that must not be used: protocol-level tests never reach
// the namespace.
type noS3 struct{ s3api.API }

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// startServer runs a NameNode on 127.0.0.1:0 and returns its address.
func startServer(t testing.TB, o Options, d dfs.Options) (*Server, string) {
	t.Helper()
	if d.FS == nil {
		f, err := fs.New(context.Background(), fs.Options{S3: noS3{},
			Provider: func(context.Context, string) (providers.Provider, error) { return plain.New(), nil }})
		if err != nil {
			t.Fatal(err)
		}
		d.FS = f
	}
	if o.Logger == nil {
		o.Logger = testLogger(t)
	}
	if d.Logger == nil {
		d.Logger = o.Logger
	}
	ns, err := dfs.New(d)
	if err != nil {
		t.Fatal(err)
	}
	nsCtx, nsStop := context.WithCancel(context.Background())
	go ns.Run(nsCtx)
	t.Cleanup(func() { nsStop(); ns.Close(context.Background()) })
	o.Namespace = ns
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	listen := o.ID // tests pass a listen address through the otherwise unused ID
	if listen == "" || !strings.Contains(listen, ":") {
		listen = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(context.Background(), l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return s, l.Addr().String()
}

// rawClient speaks Hadoop IPC by hand.
type rawClient struct {
	t  testing.TB
	c  net.Conn
	r  *bufio.Reader
	id []byte
}

func dialRaw(t testing.TB, addr string) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { c.Close() })
	return &rawClient{t: t, c: c, r: bufio.NewReader(c), id: []byte("0123456789abcdef")}
}

func (rc *rawClient) write(b []byte) {
	rc.t.Helper()
	if _, err := rc.c.Write(b); err != nil {
		rc.t.Fatal(err)
	}
}

func frameOf(t testing.TB, msgs ...proto.Message) []byte {
	t.Helper()
	b, err := buildFrame(msgs...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (rc *rawClient) header(callID int32) *commonpb.RpcRequestHeaderProto {
	return &commonpb.RpcRequestHeaderProto{
		RpcKind:    commonpb.RpcKindProto_RPC_PROTOCOL_BUFFER.Enum(),
		RpcOp:      commonpb.RpcRequestHeaderProto_RPC_FINAL_PACKET.Enum(),
		CallId:     proto.Int32(callID),
		ClientId:   rc.id,
		RetryCount: proto.Int32(-1),
	}
}

// handshake sends the preamble (auth byte) and the connection context.
func (rc *rawClient) handshake(user string) {
	rc.write([]byte{'h', 'r', 'p', 'c', 9, 0, 0})
	rc.context(user)
}

func (rc *rawClient) context(user string) {
	rc.write(frameOf(rc.t, rc.header(callIDContext), &commonpb.IpcConnectionContextProto{
		UserInfo: &commonpb.UserInformationProto{EffectiveUser: proto.String(user)},
		Protocol: proto.String(clientProtocol),
	}))
}

func (rc *rawClient) sendCall(id int32, method string, req proto.Message) {
	rc.write(frameOf(rc.t, rc.header(id), &commonpb.RequestHeaderProto{
		MethodName:                 proto.String(method),
		DeclaringClassProtocolName: proto.String(clientProtocol),
		ClientProtocolVersion:      proto.Uint64(1),
	}, req))
}

// readResponse reads one response frame; resp may be nil.
func (rc *rawClient) readResponse(resp proto.Message) (*commonpb.RpcResponseHeaderProto, error) {
	var lb [4]byte
	if _, err := io.ReadFull(rc.r, lb[:]); err != nil {
		return nil, err
	}
	buf := make([]byte, binary.BigEndian.Uint32(lb[:]))
	if _, err := io.ReadFull(rc.r, buf); err != nil {
		return nil, err
	}
	h := &commonpb.RpcResponseHeaderProto{}
	msg, rest, err := nextDelimited(buf)
	if err != nil {
		return nil, err
	}
	if err := proto.Unmarshal(msg, h); err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		l, n := protowire.ConsumeVarint(rest)
		if n < 0 || int(l) != len(rest)-n {
			return nil, errors.New("bad response body framing")
		}
		if resp != nil {
			if err := proto.Unmarshal(rest[n:], resp); err != nil {
				return nil, err
			}
		}
	}
	return h, nil
}

func (rc *rawClient) call(id int32, method string, req, resp proto.Message) *commonpb.RpcResponseHeaderProto {
	rc.t.Helper()
	rc.sendCall(id, method, req)
	h, err := rc.readResponse(resp)
	if err != nil {
		rc.t.Fatalf("%s: %v", method, err)
	}
	if int32(h.GetCallId()) != id {
		rc.t.Fatalf("%s: response callId %d, want %d", method, int32(h.GetCallId()), id)
	}
	return h
}

// expectClosed checks the server closed the connection (EOF).
func (rc *rawClient) expectClosed() {
	rc.t.Helper()
	for {
		_, err := rc.readResponse(nil)
		if err == nil {
			continue // e.g. a FATAL response
		}
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, net.ErrClosed) {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				rc.t.Fatal("connection still open")
			}
		}
		return
	}
}
