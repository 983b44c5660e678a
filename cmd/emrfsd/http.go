package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/emrfsd/emrfsd/internal/logring"
)

// recentErrors is how many warning and error log records the status page
// shows.
const recentErrors = 50

// httpServer listens on dfs.namenode.http-address and serves the daemon's
// HTTP mux (see httpHandlers). It is the third server of the lifecycle,
// drained after the DataNode and before the NameNode.
func (d *daemon) httpServer() (*server, error) {
	ln, err := net.Listen("tcp", d.opts.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("dfs.namenode.http-address %s: %w", d.opts.HTTPAddr, err)
	}
	mux := http.NewServeMux()
	d.httpHandlers(mux)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(d.log.With("component", "http").Handler(), slog.LevelWarn),
	}
	return &server{name: "HTTP", addr: ln.Addr().String(), closed: http.ErrServerClosed,
		serve: func(context.Context) error { return srv.Serve(ln) },
		shutdown: func(ctx context.Context) error {
			err := srv.Shutdown(ctx)
			if err != nil {
				srv.Close()
			}
			return err
		}}, nil
}

// httpHandlers mounts the daemon's own pages on mux: /metrics (the
// daemon's registry, never the default one), /healthz, /readyz and the
// status page at /. Other front ends (WebHDFS) mount beside them.
func (d *daemon) httpHandlers(mux *http.ServeMux) {
	if d.ring == nil {
		d.ring = logring.New(recentErrors, slog.LevelWarn)
	}
	d.ready = d.newReadiness()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", d.handleReadyz)
	mux.HandleFunc("GET /{$}", d.handleStatus)
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.metrics, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(d.log.With("component", "metrics").Handler(), slog.LevelWarn),
		Registry: d.metrics, // promhttp_metric_handler_errors_total
	}))
}
