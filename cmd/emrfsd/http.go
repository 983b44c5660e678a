package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/emrfsd/emrfsd/dfs"
	"github.com/emrfsd/emrfsd/internal/config"
	"github.com/emrfsd/emrfsd/webhdfs"
)

// httpFrontEnd is the NameNode's HTTP side (dfs.namenode.http-address and
// dfs.namenode.https-address): WebHDFS at /webhdfs/v1/ when
// dfs.webhdfs.enabled, every other path to Mux, where other handlers
// (metrics, health, a status page) can be mounted.
type httpFrontEnd struct {
	Mux       *http.ServeMux
	srv       *http.Server
	cancel    context.CancelFunc
	HTTPAddr  string // bound addresses ("" when off)
	HTTPSAddr string
	errc      chan error
}

// startHTTP listens on the addresses dfs.http.policy selects and serves.
// It returns nil when no listener is configured.
func startHTTP(o *config.Options, ns *dfs.Namespace, rpcAddr string, log *slog.Logger) (*httpFrontEnd, error) {
	serveHTTP := o.HTTPPolicy != config.HTTPSOnly && o.HTTPAddr != ""
	serveHTTPS := o.HTTPPolicy != config.HTTPOnly && o.HTTPSAddr != ""
	if !serveHTTP && !serveHTTPS {
		return nil, nil
	}
	f := &httpFrontEnd{Mux: http.NewServeMux(), errc: make(chan error, 2)}
	var handler http.Handler = f.Mux
	if o.WebHDFSEnabled {
		proxy := map[string]webhdfs.ProxyUser{}
		for name, p := range o.ProxyUsers {
			proxy[name] = webhdfs.ProxyUser{Users: p.Users, Groups: p.Groups, Hosts: p.Hosts}
		}
		// Created files' hdfs:// Location names the RPC address; a
		// wildcard host there means "the host the client used".
		if host, port, err := net.SplitHostPort(rpcAddr); err == nil {
			if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
				rpcAddr = ":" + port
			}
		}
		h, err := webhdfs.New(ns, log.With("component", "webhdfs"), webhdfs.Options{
			StaticUser: o.StaticUser, ProxyUsers: proxy, NameNodeAddress: rpcAddr,
		})
		if err != nil {
			return nil, err
		}
		handler = h.Route(f.Mux)
	}
	base, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	f.srv = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	var lns []net.Listener
	closeAll := func() {
		for _, l := range lns {
			l.Close()
		}
		cancel()
	}
	if serveHTTP {
		l, err := net.Listen("tcp", o.HTTPAddr)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("dfs.namenode.http-address %s: %w", o.HTTPAddr, err)
		}
		lns = append(lns, l)
		f.HTTPAddr = l.Addr().String()
		go func() { f.errc <- f.srv.Serve(l) }()
	}
	if serveHTTPS {
		cert, err := tls.LoadX509KeyPair(o.TLSCertFile, o.TLSKeyFile)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("emrfsd.http.tls.cert.file / emrfsd.http.tls.key.file: %w", err)
		}
		l, err := net.Listen("tcp", o.HTTPSAddr)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("dfs.namenode.https-address %s: %w", o.HTTPSAddr, err)
		}
		lns = append(lns, l)
		f.HTTPSAddr = l.Addr().String()
		tl := tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		go func() { f.errc <- f.srv.Serve(tl) }()
	}
	return f, nil
}

// Shutdown stops accepting, lets in-flight requests finish until ctx ends,
// then cuts the rest (a create cut off is aborted: nothing half-written is
// published).
func (f *httpFrontEnd) Shutdown(ctx context.Context) error {
	if f == nil {
		return nil
	}
	err := f.srv.Shutdown(ctx)
	if err != nil {
		f.cancel()
		f.srv.Close()
	}
	f.cancel()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
