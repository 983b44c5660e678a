package datanode

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("datanode: server closed")

// Options configure a Server. Zero durations take the defaults noted.
type Options struct {
	// Blocks gives access to block contents (required).
	Blocks Blocks
	// Logger receives connection and op logs (default slog.Default()).
	Logger *slog.Logger
	// IdleTimeout bounds the wait for the next op on a kept-alive connection
	// (default 4s, Java's dfs.datanode.socket.reuse.keepalive).
	IdleTimeout time.Duration
	// ReadTimeout bounds the wait for the first op of a connection and for
	// any bytes in the middle of an op; clients send write heartbeats every
	// 30s, so keep it above that (default 60s).
	ReadTimeout time.Duration
	// WriteTimeout bounds each write to a client (default 60s).
	WriteTimeout time.Duration
	// MaxConns bounds concurrent connections; more are closed on accept
	// (default 4096, Java's dfs.datanode.max.transfer.threads).
	MaxConns int
	// Metrics, when set, receives emrfsd_datanode_connections.
	Metrics prometheus.Registerer
}

// Server serves DataTransferProtocol connections.
type Server struct {
	blocks       Blocks
	log          *slog.Logger
	idleTimeout  time.Duration
	readTimeout  time.Duration
	writeTimeout time.Duration
	maxConns     int

	// hardStop is cancelled when a Shutdown deadline expires: every
	// connection context derives from it.
	hardStop   context.Context
	hardCancel context.CancelFunc

	mu        sync.Mutex
	closing   bool
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	wg        sync.WaitGroup
}

// New returns a Server. It panics if o.Blocks is nil or its figures cannot
// be registered with o.Metrics (programming errors: one server per registry).
func New(o Options) *Server {
	if o.Blocks == nil {
		panic("datanode: Options.Blocks is nil")
	}
	s := &Server{
		blocks:       o.Blocks,
		log:          o.Logger,
		idleTimeout:  orDefault(o.IdleTimeout, 4*time.Second),
		readTimeout:  orDefault(o.ReadTimeout, 60*time.Second),
		writeTimeout: orDefault(o.WriteTimeout, 60*time.Second),
		listeners:    make(map[net.Listener]struct{}),
		conns:        make(map[*conn]struct{}),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.maxConns = o.MaxConns
	if s.maxConns <= 0 {
		s.maxConns = 4096
	}
	s.hardStop, s.hardCancel = context.WithCancel(context.Background())
	if o.Metrics != nil {
		o.Metrics.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "emrfsd_datanode_connections",
			Help: "Open client connections to the DataNode data-transfer server.",
		}, func() float64 {
			s.mu.Lock()
			defer s.mu.Unlock()
			return float64(len(s.conns))
		}))
	}
	return s
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// conn is one client connection.
type conn struct {
	nc   net.Conn
	r    *bufio.Reader
	log  *slog.Logger
	idle atomic.Bool // waiting for the next op: Shutdown may close it
	// statusDue: a complete read was sent, so a ClientReadStatusProto may
	// come before the next op.
	statusDue bool
}

// Serve accepts connections on ln until Shutdown (then it returns
// ErrServerClosed) or until ctx is cancelled (then it returns nil). Either
// way it closes ln. Cancelling ctx only stops accepting: connections already
// accepted carry on until Shutdown drains them (their contexts keep ctx's
// values, not its cancellation).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
		ln.Close()
	}()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()

	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.isClosing() {
				return ErrServerClosed
			}
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("datanode: accept failed; retrying", "err", err, "backoff", backoff)
				select {
				case <-time.After(backoff):
				case <-ctx.Done():
					return nil
				}
				continue
			}
			return err
		}
		backoff = 0
		c := &conn{
			nc:  nc,
			r:   bufio.NewReaderSize(nc, 64<<10),
			log: s.log.With("remote", nc.RemoteAddr().String()),
		}
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			nc.Close()
			return ErrServerClosed
		}
		if len(s.conns) >= s.maxConns {
			s.mu.Unlock()
			c.log.Warn("datanode: connection limit reached; closing new connection", "limit", s.maxConns)
			nc.Close()
			continue
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(context.WithoutCancel(ctx), c)
	}
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// Shutdown stops accepting, closes idle connections and waits for in-flight
// ops to finish. If ctx ends first, it closes every connection (in-flight
// writes then Fail), waits for the handlers to return and returns ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for ln := range s.listeners {
		ln.Close()
	}
	for c := range s.conns {
		if c.idle.Load() {
			c.nc.Close()
		}
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.hardCancel()
	s.mu.Lock()
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	<-done
	return ctx.Err()
}

// serveConn runs the op loop of one connection.
func (s *Server) serveConn(parent context.Context, c *conn) {
	ctx, cancel := context.WithCancel(parent)
	stopHard := context.AfterFunc(s.hardStop, cancel)
	stopClose := context.AfterFunc(ctx, func() { c.nc.Close() })
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("datanode: panic serving connection", "panic", p, "stack", string(debug.Stack()))
		}
		stopClose()
		stopHard()
		cancel()
		c.nc.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.wg.Done()
	}()

	for first := true; ; first = false {
		op, err := s.readOpHeader(c, first)
		if err != nil {
			s.logConnEnd(c, err)
			return
		}
		if err := s.serveOp(ctx, c, op); err != nil {
			s.logConnEnd(c, fmt.Errorf("%s: %w", opName(op), err))
			return
		}
		if s.isClosing() {
			return
		}
	}
}

// readOpHeader waits for the next op: int16 version, uint8 op code. A read
// status still due from the previous op is consumed on the way.
func (s *Server) readOpHeader(c *conn, first bool) (byte, error) {
	wait := s.idleTimeout
	if first {
		wait = s.readTimeout
	}
	for {
		c.idle.Store(true)
		if s.isClosing() {
			c.idle.Store(false)
			return 0, ErrServerClosed
		}
		c.nc.SetReadDeadline(time.Now().Add(wait))
		b, err := c.r.Peek(1)
		c.idle.Store(false)
		if err != nil {
			return 0, err
		}
		c.nc.SetReadDeadline(time.Now().Add(s.readTimeout))
		if !c.statusDue {
			break
		}
		c.statusDue = false
		if b[0] == 0 {
			break // the next op, no status
		}
		if err := s.readClientStatus(c); err != nil {
			return 0, err
		}
	}
	var hdr [3]byte
	if err := readFullUnexpected(c.r, hdr[:2]); err != nil {
		return 0, err
	}
	switch v := binary.BigEndian.Uint16(hdr[:2]); v {
	case transferVersion:
	case saslMagic:
		var low [2]byte
		if _, err := io.ReadFull(c.r, low[:]); err == nil && binary.BigEndian.Uint16(low[:]) == saslMagicLow {
			return 0, errSASL
		}
		return 0, fmt.Errorf("%w: %d (want %d)", errVersion, v, transferVersion)
	default:
		return 0, fmt.Errorf("%w: %d (want %d)", errVersion, v, transferVersion)
	}
	if err := readFullUnexpected(c.r, hdr[2:]); err != nil {
		return 0, err
	}
	return hdr[2], nil
}

func (s *Server) logConnEnd(c *conn, err error) {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, ErrServerClosed), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		// Clients routinely close a read once they have their bytes.
		c.log.Debug("datanode: connection closed", "reason", err)
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.log.Debug("datanode: connection timed out", "reason", err)
	case errors.Is(err, errSASL), errors.Is(err, errVersion):
		c.log.Warn("datanode: refusing connection", "err", err)
	case errors.Is(err, errMalformed), errors.Is(err, errChecksum):
		c.log.Warn("datanode: bad client data; closing connection", "err", err)
	default:
		c.log.Info("datanode: connection ended", "err", err)
	}
}

// serveOp reads the op's request and runs it. A non-nil error closes the
// connection; ops that answered with an error status return nil so the
// connection can carry the next op.
func (s *Server) serveOp(ctx context.Context, c *conn, op byte) error {
	switch op {
	case opReadBlock:
		var req hdfspb.OpReadBlockProto
		if err := readDelimited(c.r, maxOpMessage, &req); err != nil {
			return err
		}
		return s.readBlock(ctx, c, &req)
	case opWriteBlock:
		var req hdfspb.OpWriteBlockProto
		if err := readDelimited(c.r, maxOpMessage, &req); err != nil {
			return err
		}
		return s.writeBlock(ctx, c, &req)
	case opBlockChecksum:
		var req hdfspb.OpBlockChecksumProto
		if err := readDelimited(c.r, maxOpMessage, &req); err != nil {
			return err
		}
		return s.blockChecksum(ctx, c, &req)
	default:
		// Every version-28 op carries one varint-delimited message: skip it.
		if _, err := readDelimitedBytes(c.r, maxOpMessage); err != nil {
			return err
		}
		c.log.Info("datanode: unsupported op", "op", opName(op))
		return s.respond(c, &hdfspb.BlockOpResponseProto{
			Status:  hdfspb.Status_ERROR_UNSUPPORTED.Enum(),
			Message: proto.String(fmt.Sprintf("emrfsd datanode does not support %s", opName(op))),
		})
	}
}

// respond writes a varint-delimited BlockOpResponseProto.
func (s *Server) respond(c *conn, m *hdfspb.BlockOpResponseProto) error {
	b, err := appendDelimited(nil, m)
	if err != nil {
		return err
	}
	return s.write(c, b)
}

func (s *Server) write(c *conn, b []byte) error {
	c.nc.SetWriteDeadline(time.Now().Add(s.writeTimeout))
	_, err := c.nc.Write(b)
	return err
}

// respondErr answers an op with the status that classifies err. The message
// is never empty: colinmarc reads at least 5 bytes of every response.
func (s *Server) respondErr(c *conn, err error) error {
	return s.respond(c, &hdfspb.BlockOpResponseProto{
		Status:  statusOf(err).Enum(),
		Message: proto.String("emrfsd datanode: " + err.Error()),
	})
}

// statusOf classifies an error from Blocks into a wire status.
func statusOf(err error) hdfspb.Status {
	switch {
	case errors.Is(err, iofs.ErrNotExist), errors.Is(err, iofs.ErrInvalid):
		return hdfspb.Status_ERROR_INVALID
	case errors.Is(err, iofs.ErrPermission):
		return hdfspb.Status_ERROR_ACCESS_TOKEN
	case errors.Is(err, errChecksum):
		return hdfspb.Status_ERROR_CHECKSUM
	}
	return hdfspb.Status_ERROR
}
