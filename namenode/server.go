package namenode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/emrfsd/emrfsd/blocks"
	"github.com/emrfsd/emrfsd/dfs"
	commonpb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/common"
	"github.com/hashicorp/golang-lru/v2/expirable"
)

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("namenode: server closed")

// Server is a NameNode.
type Server struct {
	opts    Options
	log     *slog.Logger
	methods map[string]handler

	baseCtx context.Context
	cancel  context.CancelFunc

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	closed    bool
	refused   uint64 // connections closed at accept (MaxConns)

	connWG sync.WaitGroup // connection goroutines
	callWG sync.WaitGroup // calls being processed

	ns     *dfs.Namespace
	blocks *blocks.Table
	writes writes                                  // block state of files open through this server
	retry  *expirable.LRU[retryKey, proto.Message] // answers of at-most-once calls

	metrics metrics
}

// New validates options and builds a server; call Serve to accept
// connections and Shutdown to stop.
func New(o Options) (*Server, error) {
	if err := o.setDefaults(); err != nil {
		return nil, err
	}
	s := &Server{
		opts:      o,
		log:       o.Logger.With("component", "namenode"),
		listeners: map[net.Listener]struct{}{},
		conns:     map[*conn]struct{}{},
		ns:        o.Namespace,
		writes:    writes{m: map[*dfs.OpenFile]*fileBlocks{}},
	}
	s.baseCtx, s.cancel = context.WithCancel(context.Background())
	s.retry = expirable.NewLRU[retryKey, proto.Message](16384, nil, retryTTL)
	var err error
	s.blocks = o.Blocks
	if s.blocks == nil {
		if s.blocks, err = blocks.New(blocks.Options{FS: o.Namespace.FS(), PoolID: o.PoolID, MaxReadBlocks: o.MaxReadBlocks, Logger: s.log}); err != nil {
			return nil, err
		}
	}
	if s.methods, err = s.methodTable(); err != nil {
		return nil, err
	}
	if err := s.newMetrics(o.Metrics); err != nil {
		return nil, err
	}
	s.ns.OnRelease(s.released)
	return s, nil
}

// Blocks is the block map the DataNode must resolve block ids through.
func (s *Server) Blocks() *blocks.Table { return s.blocks }

// Serve accepts connections on l until ctx ends or Shutdown is called.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		c := s.newConn(nc)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return ErrServerClosed
		}
		if len(s.conns) >= s.opts.MaxConns {
			s.refused++
			refused := s.refused
			s.mu.Unlock()
			nc.Close()
			if refused&(refused-1) == 0 { // 1st, 2nd, 4th, 8th...: bounded logging
				s.log.Warn("connection limit reached; closing new connections", "limit", s.opts.MaxConns, "refused_so_far", refused)
			}
			continue
		}
		s.conns[c] = struct{}{}
		s.connWG.Add(1)
		s.mu.Unlock()
		go c.serve()
	}
}

// Shutdown stops accepting, lets calls in flight finish (until ctx ends)
// and closes every connection. Files still open for writing stay open in
// the namespace: its owner aborts them (dfs.Namespace.Close) once every
// front end has stopped.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		// Wake the reader; calls in flight still get their answers.
		c.nc.SetReadDeadline(time.Now())
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() { s.callWG.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	s.cancel()
	s.mu.Lock()
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	s.connWG.Wait()
	return err
}

// newConn wraps an accepted connection.
func (s *Server) newConn(nc net.Conn) *conn {
	c := &conn{s: s, nc: nc, sem: make(chan struct{}, s.opts.MaxCallsPerConn)}
	c.ctx, c.cancel = context.WithCancel(s.baseCtx)
	return c
}

// conn is one client connection.
type conn struct {
	s  *Server
	nc net.Conn
	// ctx is cancelled when the connection ends (or the server stops):
	// the S3 and KMS work of calls whose client went away stops with it.
	ctx     context.Context
	cancel  context.CancelFunc
	calls   sync.WaitGroup // this connection's calls in flight
	sem     chan struct{}  // bounds calls in flight
	writeMu sync.Mutex
	user    string
	proto   string
}

// fatal reports a protocol violation and makes serve close the connection.
type fatal struct {
	callID int32
	code   commonpb.RpcResponseHeaderProto_RpcErrorCodeProto
	class  string
	msg    string
}

func (f *fatal) Error() string { return f.msg }

func (c *conn) serve() {
	s := c.s
	log := s.log.With("remote", c.nc.RemoteAddr().String())
	defer func() {
		if r := recover(); r != nil {
			log.Error("connection handler panic", "panic", r, "stack", string(debug.Stack()))
		}
		c.cancel()
		c.nc.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.connWG.Done()
	}()
	err := c.loop()
	s.mu.Lock()
	closing := s.closed
	s.mu.Unlock()
	if !closing {
		// The client went away (or broke the protocol): its calls in
		// flight are abandoned. On shutdown they finish first; Shutdown
		// bounds them.
		c.cancel()
	}
	defer c.calls.Wait()
	var f *fatal
	switch {
	case errors.As(err, &f):
		log.Warn("closing connection", "err", f.msg, "code", f.code.String())
		h := errorHeader(f.callID, nil, -1, commonpb.RpcResponseHeaderProto_FATAL, f.code, f.class, f.msg)
		c.send(h)
	case err == nil, errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
	default:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			log.Debug("closing idle connection")
		} else {
			log.Info("closing connection", "err", err)
		}
	}
}

// loop reads frames until the connection ends. It returns *fatal for
// protocol violations the client should be told about.
func (c *conn) loop() error {
	s := c.s
	c.nc.SetReadDeadline(time.Now().Add(s.opts.IdleTimeout))
	var pre [preambleLen]byte
	if _, err := io.ReadFull(c.nc, pre[:]); err != nil {
		return err
	}
	p := parsePreamble(pre[:])
	switch {
	case p.isHTTP():
		c.nc.SetWriteDeadline(time.Now().Add(s.opts.FrameTimeout))
		c.nc.Write([]byte(httpNotice))
		return nil
	case !p.magicOK() || !p.versionOK():
		if p.version >= ipcVersion {
			return &fatal{callIDBadVersion, commonpb.RpcResponseHeaderProto_FATAL_VERSION_MISMATCH, versionMismatchEx,
				fmt.Sprintf("Server IPC version %d cannot communicate with client version %d", ipcVersion, p.version)}
		}
		return fmt.Errorf("bad connection header % x", pre)
	case p.auth != authNone && p.auth != authSASL:
		return &fatal{callIDSASL, commonpb.RpcResponseHeaderProto_FATAL_UNAUTHORIZED, exIPC,
			fmt.Sprintf("Unknown auth protocol:%d", int8(p.auth))}
	}
	needSASL := p.auth == authSASL
	haveContext := false
	for {
		c.nc.SetReadDeadline(time.Now().Add(s.opts.IdleTimeout))
		frame, err := readFrame(deadlineReader{c.nc, s.opts.FrameTimeout}, s.opts.MaxFrame)
		if err != nil {
			if errors.Is(err, errFrame) {
				return &fatal{callIDBadVersion, commonpb.RpcResponseHeaderProto_FATAL_INVALID_RPC_HEADER, exRPCServer, err.Error()}
			}
			return err
		}
		req, err := parseRequest(frame)
		if err != nil {
			return &fatal{callIDBadVersion, commonpb.RpcResponseHeaderProto_FATAL_INVALID_RPC_HEADER, exRPCServer, err.Error()}
		}
		h := req.hdr
		id := h.GetCallId()
		bad := func(code commonpb.RpcResponseHeaderProto_RpcErrorCodeProto, format string, args ...any) error {
			return &fatal{id, code, exRPCServer, fmt.Sprintf(format, args...)}
		}
		switch op := h.GetRpcOp(); op {
		case commonpb.RpcRequestHeaderProto_RPC_FINAL_PACKET:
		case commonpb.RpcRequestHeaderProto_RPC_CLOSE_CONNECTION:
			return nil
		default:
			return bad(commonpb.RpcResponseHeaderProto_FATAL_INVALID_RPC_HEADER, "IPC Server does not implement rpc header operation %v", op)
		}
		if h.RpcKind != nil && h.GetRpcKind() != commonpb.RpcKindProto_RPC_PROTOCOL_BUFFER {
			return bad(commonpb.RpcResponseHeaderProto_FATAL_UNSUPPORTED_SERIALIZATION, "Unsupported rpc kind %v", h.GetRpcKind())
		}
		switch {
		case needSASL:
			if id != callIDSASL {
				return bad(commonpb.RpcResponseHeaderProto_FATAL_UNAUTHORIZED, "expected SASL negotiation, got call %d", id)
			}
			var m commonpb.RpcSaslProto
			if err := single(req.rest, &m); err != nil {
				return bad(commonpb.RpcResponseHeaderProto_FATAL_DESERIALIZING_REQUEST, "%v", err)
			}
			if m.GetState() != commonpb.RpcSaslProto_NEGOTIATE {
				return bad(commonpb.RpcResponseHeaderProto_FATAL_UNAUTHORIZED, "SASL %v unsupported: server allows SIMPLE authentication only", m.GetState())
			}
			// A SIMPLE-only Hadoop server answers NEGOTIATE with SUCCESS;
			// the client then proceeds without SASL.
			if err := c.send(responseHeader(callIDSASL, nil, -1),
				&commonpb.RpcSaslProto{State: commonpb.RpcSaslProto_SUCCESS.Enum()}); err != nil {
				return err
			}
			needSASL = false
		case id == callIDContext:
			if haveContext {
				return bad(commonpb.RpcResponseHeaderProto_FATAL_INVALID_RPC_HEADER, "Connection context already processed")
			}
			var m commonpb.IpcConnectionContextProto
			if err := single(req.rest, &m); err != nil {
				return bad(commonpb.RpcResponseHeaderProto_FATAL_DESERIALIZING_REQUEST, "%v", err)
			}
			c.user = m.GetUserInfo().GetEffectiveUser()
			c.proto = m.GetProtocol()
			if c.user == "" {
				return bad(commonpb.RpcResponseHeaderProto_FATAL_UNAUTHORIZED, "connection context names no user")
			}
			haveContext = true
		case id == callIDPing:
		case id < 0:
			return bad(commonpb.RpcResponseHeaderProto_FATAL_INVALID_RPC_HEADER, "Unknown out of band call #%d", id)
		case !haveContext:
			return bad(commonpb.RpcResponseHeaderProto_FATAL_INVALID_RPC_HEADER, "Connection context not established")
		default:
			rh, body, err := parseCall(req.rest)
			if err != nil {
				return bad(commonpb.RpcResponseHeaderProto_FATAL_DESERIALIZING_REQUEST, "%v", err)
			}
			cl := &call{conn: c, id: id, clientID: h.GetClientId(), retry: h.GetRetryCount(),
				method: rh.GetMethodName(), protocol: rh.GetDeclaringClassProtocolName()}
			if hd, ok := s.methods[cl.method]; ok && cl.protocol == clientProtocol {
				cl.h = hd
				cl.req = hd.newReq()
				if err := proto.Unmarshal(body, cl.req); err != nil {
					return bad(commonpb.RpcResponseHeaderProto_FATAL_DESERIALIZING_REQUEST,
						"cannot parse %s request: %v", cl.method, err)
				}
			}
			c.sem <- struct{}{}
			s.callWG.Add(1)
			c.calls.Add(1)
			go func() {
				defer func() { <-c.sem; c.calls.Done(); s.callWG.Done() }()
				c.handle(cl)
			}()
		}
	}
}

// deadlineReader extends the read deadline once the first bytes of a
// frame arrived, so a frame must complete within FrameTimeout.
type deadlineReader struct {
	nc net.Conn
	d  time.Duration
}

func (r deadlineReader) Read(p []byte) (int, error) {
	n, err := r.nc.Read(p)
	if n > 0 {
		r.nc.SetReadDeadline(time.Now().Add(r.d))
	}
	return n, err
}

// send writes one response frame.
func (c *conn) send(msgs ...proto.Message) error {
	b, err := buildFrame(msgs...)
	if err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(c.s.opts.FrameTimeout))
	_, err = c.nc.Write(b)
	return err
}
