package namenode

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/emrfsd/emrfsd/dfs"
	commonpb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/common"
	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

func fuzzSeeds(f *testing.F) {
	rc := &rawClient{t: f, id: []byte("0123456789abcdef")}
	ctxFrame := frameOf(f, rc.header(callIDContext), &commonpb.IpcConnectionContextProto{
		UserInfo: &commonpb.UserInformationProto{EffectiveUser: proto.String("u")}})
	call := frameOf(f, rc.header(1), &commonpb.RequestHeaderProto{MethodName: proto.String("getServerDefaults"),
		DeclaringClassProtocolName: proto.String(clientProtocol), ClientProtocolVersion: proto.Uint64(1)},
		&hdfspb.GetServerDefaultsRequestProto{})
	unknown := frameOf(f, rc.header(2), &commonpb.RequestHeaderProto{MethodName: proto.String("nope"),
		DeclaringClassProtocolName: proto.String(clientProtocol), ClientProtocolVersion: proto.Uint64(1)},
		&hdfspb.MsyncRequestProto{})
	sasl := frameOf(f, rc.header(callIDSASL), &commonpb.RpcSaslProto{State: commonpb.RpcSaslProto_NEGOTIATE.Enum()})
	f.Add(append(append([]byte{}, ctxFrame...), call...))
	f.Add(append(append([]byte{}, ctxFrame...), unknown...))
	f.Add(append(append([]byte{}, sasl...), ctxFrame...))
	f.Add([]byte{0, 0, 0, 2, 1, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
}

// FuzzParseFrame feeds arbitrary bytes to the frame parsers.
func FuzzParseFrame(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		for {
			frame, err := readFrame(r, 1<<16)
			if err != nil {
				return
			}
			req, err := parseRequest(frame)
			if err != nil {
				continue
			}
			var m commonpb.IpcConnectionContextProto
			_ = single(req.rest, &m)
			if rh, body, err := parseCall(req.rest); err == nil {
				if len(body) > len(frame) || rh == nil {
					t.Fatal("parseCall returned more than the frame")
				}
			}
		}
	})
}

// FuzzConnection runs the connection loop (without its recover) on
// arbitrary client bytes after a valid preamble: it must end cleanly.
func FuzzConnection(f *testing.F) {
	fuzzSeeds(f)
	s, _ := startServer(f, Options{MaxFrame: 1 << 16, IdleTimeout: time.Second, FrameTimeout: time.Second}, dfs.Options{})
	f.Fuzz(func(t *testing.T, data []byte) {
		client, server := net.Pipe()
		defer client.Close()
		c := s.newConn(server)
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer server.Close()
			c.loop()
		}()
		go io.Copy(io.Discard, client)
		client.SetWriteDeadline(time.Now().Add(2 * time.Second))
		client.Write(append([]byte{'h', 'r', 'p', 'c', 9, 0, 0}, data...))
		client.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("connection loop did not end")
		}
	})
}
