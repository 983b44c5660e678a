package namenode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	commonpb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/common"
)

// Hadoop IPC constants.
const (
	ipcVersion        = 9
	authNone          = 0x00
	authSASL          = 0xDF // -33 as a signed byte
	callIDContext     = -3
	callIDPing        = -4
	callIDSASL        = -33
	callIDBadVersion  = -1
	clientProtocol    = "org.apache.hadoop.hdfs.protocol.ClientProtocol"
	preambleLen       = 7
	versionMismatchEx = "org.apache.hadoop.ipc.RPC$VersionMismatch"
)

var (
	rpcMagic    = []byte("hrpc")
	httpGetHead = []byte("GET ")
	// httpNotice is what Hadoop answers to an HTTP request on its IPC port.
	httpNotice = "HTTP/1.1 404 Not Found\r\nContent-type: text/plain\r\n\r\n" +
		"It looks like you are making an HTTP request to a Hadoop IPC port. " +
		"This is not the correct port for the web interface on this daemon.\r\n"
)

// errFrame marks a malformed frame: the connection is closed.
var errFrame = errors.New("malformed rpc frame")

// preamble is the 7-byte connection header.
type preamble struct {
	magic        [4]byte
	version      byte
	serviceClass byte
	auth         byte
}

func parsePreamble(b []byte) preamble {
	var p preamble
	copy(p.magic[:], b[:4])
	p.version, p.serviceClass, p.auth = b[4], b[5], b[6]
	return p
}

func (p preamble) isHTTP() bool    { return bytes.Equal(p.magic[:], httpGetHead) }
func (p preamble) magicOK() bool   { return bytes.Equal(p.magic[:], rpcMagic) }
func (p preamble) versionOK() bool { return p.version == ipcVersion }

// readFrame reads one length-prefixed frame, refusing lengths above max
// before allocating.
func readFrame(r io.Reader, max int) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 || int64(n) > int64(max) {
		return nil, fmt.Errorf("%w: frame length %d (limit %d)", errFrame, n, max)
	}
	// The buffer grows as bytes arrive (doubling from frameChunk), so a
	// length prefix alone never reserves memory: a client that announces
	// the largest frame and stalls holds at most frameChunk.
	buf := make([]byte, 0, min(int(n), frameChunk))
	for len(buf) < int(n) {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(int(n)-len(buf), cap(buf)))
		}
		k, err := r.Read(buf[len(buf):min(cap(buf), int(n))])
		buf = buf[:len(buf)+k]
		if err != nil && len(buf) < int(n) {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return buf, nil
}

// frameChunk is the first allocation for a frame's body.
const frameChunk = 4 << 10

// nextDelimited splits one varint-length-prefixed message off b.
func nextDelimited(b []byte) (msg, rest []byte, err error) {
	l, n := protowire.ConsumeVarint(b)
	if n < 0 {
		return nil, nil, fmt.Errorf("%w: bad length prefix", errFrame)
	}
	b = b[n:]
	if l > uint64(len(b)) {
		return nil, nil, fmt.Errorf("%w: message length %d exceeds frame", errFrame, l)
	}
	return b[:l], b[l:], nil
}

// request is a parsed client frame.
type request struct {
	hdr *commonpb.RpcRequestHeaderProto
	// rest holds the messages after the RPC header (connection context,
	// SASL message, or RequestHeaderProto + body), undecoded.
	rest []byte
}

// parseRequest decodes the RPC header of a frame. It never panics on
// hostile input (fuzzed).
func parseRequest(frame []byte) (*request, error) {
	h, rest, err := nextDelimited(frame)
	if err != nil {
		return nil, err
	}
	hdr := &commonpb.RpcRequestHeaderProto{}
	if err := proto.Unmarshal(h, hdr); err != nil {
		return nil, fmt.Errorf("%w: rpc header: %v", errFrame, err)
	}
	return &request{hdr: hdr, rest: rest}, nil
}

// single decodes the one message that must make up the rest of a frame.
func single(rest []byte, m proto.Message) error {
	b, tail, err := nextDelimited(rest)
	if err != nil {
		return err
	}
	if len(tail) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", errFrame, len(tail))
	}
	if err := proto.Unmarshal(b, m); err != nil {
		return fmt.Errorf("%w: %v", errFrame, err)
	}
	return nil
}

// parseCall splits a call's RequestHeaderProto from its raw body.
func parseCall(rest []byte) (*commonpb.RequestHeaderProto, []byte, error) {
	h, tail, err := nextDelimited(rest)
	if err != nil {
		return nil, nil, err
	}
	rh := &commonpb.RequestHeaderProto{}
	if err := proto.Unmarshal(h, rh); err != nil {
		return nil, nil, fmt.Errorf("%w: request header: %v", errFrame, err)
	}
	body, tail, err := nextDelimited(tail)
	if err != nil {
		return nil, nil, err
	}
	if len(tail) != 0 {
		return nil, nil, fmt.Errorf("%w: %d trailing bytes", errFrame, len(tail))
	}
	return rh, body, nil
}

// buildFrame encodes a response frame: uint32 length, then each message
// varint-delimited.
func buildFrame(msgs ...proto.Message) ([]byte, error) {
	buf := make([]byte, 4, 256)
	for _, m := range msgs {
		b, err := proto.Marshal(m)
		if err != nil {
			return nil, err
		}
		buf = protowire.AppendVarint(buf, uint64(len(b)))
		buf = append(buf, b...)
	}
	binary.BigEndian.PutUint32(buf, uint32(len(buf)-4))
	return buf, nil
}

// responseHeader starts a response header for a call.
func responseHeader(callID int32, clientID []byte, retry int32) *commonpb.RpcResponseHeaderProto {
	return &commonpb.RpcResponseHeaderProto{
		CallId:              proto.Uint32(uint32(callID)),
		Status:              commonpb.RpcResponseHeaderProto_SUCCESS.Enum(),
		ServerIpcVersionNum: proto.Uint32(ipcVersion),
		ClientId:            clientID,
		RetryCount:          proto.Int32(retry),
	}
}

// errorHeader is a header-only ERROR or FATAL response.
func errorHeader(callID int32, clientID []byte, retry int32, status commonpb.RpcResponseHeaderProto_RpcStatusProto,
	code commonpb.RpcResponseHeaderProto_RpcErrorCodeProto, class, msg string) *commonpb.RpcResponseHeaderProto {
	h := responseHeader(callID, clientID, retry)
	h.Status = status.Enum()
	h.ErrorDetail = code.Enum()
	h.ExceptionClassName = proto.String(class)
	h.ErrorMsg = proto.String(msg)
	return h
}
