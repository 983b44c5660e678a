package main

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/emrfsd/emrfsd/internal/logring"
)

// recentErrors is how many warning and error log records the status page
// shows.
const recentErrors = 50

// httpHandlers mounts the daemon's own pages on the HTTP front end's mux
// (beside WebHDFS): /metrics (the daemon's registry, never the default
// one), /healthz, /readyz (ready.go) and the status page at / (status.go).
func (d *daemon) httpHandlers(mux *http.ServeMux) {
	if d.ring == nil {
		d.ring = logring.New(recentErrors, slog.LevelWarn)
	}
	d.ready = d.newReadiness()
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.metrics, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(d.log.With("component", "metrics").Handler(), slog.LevelWarn),
		Registry: d.metrics, // promhttp_metric_handler_errors_total
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", d.handleReadyz)
	mux.HandleFunc("GET /{$}", d.handleStatus)
}
