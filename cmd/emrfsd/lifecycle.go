package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"

	"github.com/emrfsd/emrfsd/blocks"
	"github.com/emrfsd/emrfsd/datanode"
	"github.com/emrfsd/emrfsd/dfs"
	"github.com/emrfsd/emrfsd/internal/logring"
	"github.com/emrfsd/emrfsd/namenode"
)

// The daemon's lifecycle, as net/http's Server: build (build.go) makes
// every part from the configuration; Serve binds the listeners, starts the
// servers and background loops and blocks until ctx ends or a server
// fails; Shutdown drains in a fixed order; Close releases what build
// acquired.
//
// Shutdown order:
//  1. the DataNode: in-flight block reads and writes get up to
//     emrfsd.shutdown.timeout to finish (writes still open then are cut
//     and fail), while the NameNode keeps answering, so a client finishing
//     a block can still complete its file;
//  2. the HTTP server (WebHDFS, metrics), likewise bounded (a WebHDFS
//     create cut off is aborted);
//  3. the NameNode: calls in flight finish, connections close;
//  4. background loops (lease reaper, trash emptier) stop;
//  5. the namespace aborts every file still open for writing: nothing
//     half-written is published.

// server is one network server of the daemon.
type server struct {
	name     string
	addr     string // bound address, for logs and the ready file
	serve    func(ctx context.Context) error
	shutdown func(ctx context.Context) error
	closed   error // what serve returns after shutdown
}

// runtime is what Serve started; Shutdown stops it.
type runtime struct {
	servers []*server // in shutdown order
	errc    chan error
	bgStop  context.CancelFunc
	bg      sync.WaitGroup
}

// Serve runs the daemon until ctx ends (SIGTERM) or a server fails, then
// shuts down. ready, if set, is called with the bound addresses once every
// server accepts connections.
func (d *daemon) Serve(ctx context.Context, ready func(addrs map[string]string) error) error {
	if err := d.start(ctx); err != nil {
		d.Shutdown(context.WithoutCancel(ctx))
		return err
	}
	addrs := map[string]string{}
	for _, s := range d.rt.servers {
		addrs[s.name] = s.addr
	}
	if d.web != nil {
		addrs["HTTP"], addrs["HTTPS"] = d.web.HTTPAddr, d.web.HTTPSAddr
	}
	d.log.Info("emrfsd serving", "namenode", addrs["NameNode"], "datanode", addrs["DataNode"], "http", addrs["HTTP"], "https", addrs["HTTPS"],
		"store", d.mode, "data_dir", d.opts.DataDir)
	if ready != nil {
		if err := ready(addrs); err != nil {
			d.Shutdown(context.WithoutCancel(ctx))
			return err
		}
	}
	var serveErr error
	select {
	case <-ctx.Done():
		d.log.Info("shutting down: draining in-flight requests")
	case serveErr = <-d.rt.errc:
		d.log.Error("a server failed; shutting down", "err", serveErr)
	}
	d.Shutdown(context.WithoutCancel(ctx))
	return serveErr
}

// start binds every listener and starts the servers and loops.
func (d *daemon) start(ctx context.Context) error {
	rt := &runtime{errc: make(chan error, 4)}
	d.rt = rt
	dnLn, err := net.Listen("tcp", d.opts.DataNodeAddr)
	if err != nil {
		return fmt.Errorf("dfs.datanode.address %s: %w", d.opts.DataNodeAddr, err)
	}
	nnLn, err := net.Listen("tcp", d.opts.NameNodeAddr)
	if err != nil {
		dnLn.Close()
		return fmt.Errorf("dfs.namenode.rpc-address %s: %w", d.opts.NameNodeAddr, err)
	}
	host, portS, _ := net.SplitHostPort(dnLn.Addr().String())
	port, _ := strconv.Atoi(portS)
	hostname, _ := os.Hostname()
	nn, err := namenode.New(namenode.Options{
		Namespace: d.ns, Logger: d.log, Blocks: d.blocks,
		DataNode: advertisedDataNode(d.opts.DataNodeHostname, host, hostname, port),
		Metrics:  d.metrics,
		MaxFrame: int(d.opts.MaxFrame), MaxConns: d.opts.NameNodeMaxConns, MaxCallsPerConn: d.opts.MaxCallsPerConn,
		IdleTimeout: d.opts.NameNodeIdleTimeout, FrameTimeout: d.opts.NameNodeFrameTimeout,
	})
	if err != nil {
		dnLn.Close()
		nnLn.Close()
		return err
	}
	dn := datanode.New(datanode.Options{Blocks: d.blocks, Logger: d.log.With("component", "datanode"), Metrics: d.metrics,
		MaxConns: d.opts.DataNodeMaxConns})
	web, err := startHTTP(d.opts, d.ns, nnLn.Addr().String(), d.log)
	if err != nil {
		dnLn.Close()
		nnLn.Close()
		return err
	}
	d.web = web
	d.addrs = map[string]string{"NameNode": nnLn.Addr().String(), "DataNode": dnLn.Addr().String()}
	if web != nil {
		d.addrs["HTTP"], d.addrs["HTTPS"] = web.HTTPAddr, web.HTTPSAddr
		d.httpHandlers(web.Mux) // metrics, health, status beside WebHDFS
	}

	// Background loops of the namespace.
	bgCtx, bgStop := context.WithCancel(context.WithoutCancel(ctx))
	rt.bgStop = bgStop
	rt.bg.Go(func() { d.ns.Run(bgCtx) })
	rt.bg.Go(func() { d.ns.RunTrash(bgCtx) })
	rt.bg.Go(func() { d.sweepLate(bgCtx) })

	rt.servers = []*server{
		{name: "DataNode", addr: dnLn.Addr().String(), closed: datanode.ErrServerClosed,
			serve: func(ctx context.Context) error { return dn.Serve(ctx, dnLn) }, shutdown: dn.Shutdown},
	}
	if web != nil {
		// WebHDFS carries data as the DataNode does: drained right after it.
		rt.servers = append(rt.servers, &server{name: "HTTP", addr: web.HTTPAddr, closed: http.ErrServerClosed,
			serve: func(ctx context.Context) error { return <-web.errc }, shutdown: web.Shutdown})
	}
	rt.servers = append(rt.servers, &server{name: "NameNode", addr: nnLn.Addr().String(), closed: namenode.ErrServerClosed,
		serve: func(ctx context.Context) error { return nn.Serve(ctx, nnLn) }, shutdown: nn.Shutdown})
	for _, s := range rt.servers {
		go func() {
			if err := s.serve(context.WithoutCancel(ctx)); err != nil && !errors.Is(err, s.closed) {
				rt.errc <- fmt.Errorf("%s: %w", s.name, err)
			}
		}()
	}
	return nil
}

// Shutdown stops the running daemon in the documented order; each server
// gets emrfsd.shutdown.timeout to drain.
func (d *daemon) Shutdown(ctx context.Context) {
	rt := d.rt
	if rt == nil {
		return
	}
	d.rt = nil
	for _, s := range rt.servers {
		sctx, cancel := context.WithTimeout(ctx, d.opts.ShutdownTimeout)
		if err := s.shutdown(sctx); err != nil && !errors.Is(err, s.closed) {
			d.log.Warn(s.name+" shutdown: in-flight work cut off", "err", err)
		}
		cancel()
	}
	if rt.bgStop != nil {
		rt.bgStop()
	}
	rt.bg.Wait()
	// Every front end has stopped: files still open are aborted.
	d.ns.Close(ctx)
	d.log.Info("emrfsd stopped cleanly")
}

// serve builds the daemon, serves until ctx ends, and releases it. Its
// log keeps the last warnings and errors for the status page.
func serve(ctx context.Context, c *cliArgs, log *slog.Logger) error {
	ring := logring.New(recentErrors, slog.LevelWarn)
	log = slog.New(ring.Handler(log.Handler()))
	d, err := setup(ctx, c, log, false)
	if err != nil {
		return err
	}
	d.ring = ring
	defer d.close()
	var prof *pprofServer
	if c.pprof != "" {
		if prof, err = startPprof(c.pprof, log); err != nil {
			return err
		}
		defer prof.Close()
	}
	return d.Serve(ctx, func(addrs map[string]string) error {
		if prof != nil {
			addrs["Pprof"] = prof.Addr
		}
		if c.readyFile == "" {
			return nil
		}
		raw, _ := json.Marshal(addrs)
		return os.WriteFile(c.readyFile, raw, 0o600)
	})
}

// namespace builds the HDFS rules and the block map over d.fs.
func (d *daemon) buildNamespace() error {
	blockKey, err := blocks.LoadKey(d.opts.BlockKeyFile)
	if err != nil {
		return fmt.Errorf("emrfsd.block.access.key.file: %w", err)
	}
	d.blocks, err = blocks.New(blocks.Options{FS: d.fs, PoolID: "BP-emrfsd-1", Logger: d.log.With("component", "blocks"),
		Key: blockKey, Tokens: d.opts.BlockTokens, TokenLifetime: d.opts.BlockTokenLifetime})
	if err != nil {
		return err
	}
	d.ns, err = dfs.New(dfs.Options{
		FS: d.fs, Logger: d.log.With("component", "dfs"),
		BlockSize: d.opts.BlockSize, Replication: d.opts.Replication,
		PermissionsEnabled: d.opts.PermissionsEnabled, SuperUserGroup: d.opts.SuperUserGroup,
		MaxComponentLength: d.opts.MaxComponentLength, HomeAutoCreate: d.opts.HomeAutoCreate,
		TrashInterval: d.opts.TrashInterval, TrashCheckpointInterval: d.opts.TrashCheckpointInterval,
		MaxOpenFiles: d.opts.MaxOpenFiles, MaxOpenFilesPerClient: d.opts.MaxOpenFilesPerClient,
		Metrics: d.metrics,
	})
	return err
}
