package cases

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
)

// CountingProxy is a reverse proxy in front of S3 that counts requests by
// method. It keeps the client's Host header so SigV4 signatures stay valid.
type CountingProxy struct {
	URL    string // http://127.0.0.1:PORT
	srv    *http.Server
	ln     net.Listener
	mu     sync.Mutex
	counts map[string]int
}

// NewCountingProxy starts a proxy forwarding to target.
func NewCountingProxy(target string) (*CountingProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &CountingProxy{URL: "http://" + ln.Addr().String(), ln: ln, counts: map[string]int{}}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme = u.Scheme
			r.Out.URL.Host = u.Host
			r.Out.Host = r.In.Host // signed by the client
		},
		FlushInterval: -1,
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.counts[r.Method]++
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// Reset zeroes the counters.
func (p *CountingProxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.counts)
}

// Count returns how many requests with method were forwarded since Reset.
func (p *CountingProxy) Count(method string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[method]
}

// Close stops the proxy.
func (p *CountingProxy) Close(ctx context.Context) error {
	err := p.srv.Shutdown(ctx)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
