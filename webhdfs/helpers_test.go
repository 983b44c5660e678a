package webhdfs

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/dfs"
	"github.com/emrfsd/emrfsd/fs"
	"github.com/emrfsd/emrfsd/internal/localstore"
	"github.com/emrfsd/emrfsd/providers"
	"github.com/emrfsd/emrfsd/providers/plain"
)

// rig is a WebHDFS server over a real namespace: dfs over fs over the
// embedded S3-compatible store, one bucket served as /data, in-process.
type rig struct {
	t   *testing.T
	ns  *dfs.Namespace
	srv *httptest.Server
	h   *Handler
}

const superUser = "hdfs"

var testGroups = map[string][]string{
	"alice": {"alice", "etl"},
	"bob":   {"bob"},
	"carol": {"carol", "analysts"},
	"hue":   {"hue"},
}

func newRig(t *testing.T, o Options, d dfs.Options) *rig {
	t.Helper()
	st, err := localstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureBucket("data"); err != nil {
		t.Fatal(err)
	}
	s3srv := httptest.NewServer(st.Handler(nil, "tok"))
	t.Cleanup(s3srv.Close)
	client := s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s3srv.URL + "/tok")
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f, err := fs.New(context.Background(), fs.Options{S3: client, Buckets: map[string]string{"data": "data"},
		Provider:     func(context.Context, string) (providers.Provider, error) { return plain.New(), nil },
		DefaultOwner: superUser, DefaultGroup: "supergroup", PartSize: 5 << 20, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	d.FS, d.Logger = f, log
	d.PermissionsEnabled, d.SuperUser = true, superUser
	d.Groups = func(u string) []string { return testGroups[u] }
	ns, err := dfs.New(d)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go ns.Run(ctx)
	h, err := New(ns, log, o)
	if err != nil {
		t.Fatal(err)
	}
	// Served as the daemon serves it: ahead of any mux, which would
	// redirect paths with ".." instead of letting dfs refuse them.
	r := &rig{t: t, ns: ns, h: h, srv: httptest.NewServer(h)}
	t.Cleanup(func() {
		r.srv.Close()
		cancel()
		ns.Close(context.Background())
	})
	return r
}

// noFollow is an HTTP client that shows redirects instead of following them.
var noFollow = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       time.Minute,
}

// url builds a WebHDFS URL for path with params (key, value pairs).
func (r *rig) url(path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	return r.srv.URL + "/webhdfs/v1" + path + "?" + q.Encode()
}

type resp struct {
	code   int
	header http.Header
	body   []byte
}

// json decodes the body into a generic map.
func (x resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(x.body, &m); err != nil {
		t.Fatalf("body %q: %v", x.body, err)
	}
	return m
}

func (r *rig) do(method, u string, body io.Reader) resp {
	r.t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		r.t.Fatal(err)
	}
	res, err := noFollow.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		r.t.Fatalf("%s %s: reading: %v", method, u, err)
	}
	return resp{res.StatusCode, res.Header, b}
}

func (r *rig) get(path string, kv ...string) resp { return r.do("GET", r.url(path, kv...), nil) }
func (r *rig) put(path string, kv ...string) resp { return r.do("PUT", r.url(path, kv...), nil) }

// create writes data to path as user through the two steps and returns
// the second step's answer.
func (r *rig) create(user, path, data string, kv ...string) resp {
	r.t.Helper()
	first := r.put(path, append([]string{"op", "CREATE", "user.name", user}, kv...)...)
	if first.code != http.StatusTemporaryRedirect {
		return first
	}
	return r.do("PUT", first.header.Get("Location"), strings.NewReader(data))
}

// open reads path (following the redirect, as curl -L does).
func (r *rig) open(user, path string, kv ...string) resp {
	r.t.Helper()
	first := r.get(path, append([]string{"op", "OPEN", "user.name", user}, kv...)...)
	if first.code != http.StatusTemporaryRedirect {
		return first
	}
	return r.do("GET", first.header.Get("Location"), nil)
}

// remote checks a RemoteException answer.
func (x resp) remote(t *testing.T, code int, class, msgPart string) {
	t.Helper()
	if x.code != code {
		t.Fatalf("status %d, want %d: %s", x.code, code, x.body)
	}
	var e remoteException
	if err := json.Unmarshal(x.body, &e); err != nil {
		t.Fatalf("body %q: %v", x.body, err)
	}
	re := e.RemoteException
	if re.JavaClassName != class || re.Exception != simpleName(class) || !strings.Contains(re.Message, msgPart) {
		t.Fatalf("got %+v, want %s with %q", re, class, msgPart)
	}
	if ct := x.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
}

func (x resp) is(t *testing.T, code int) resp {
	t.Helper()
	if x.code != code {
		t.Fatalf("status %d, want %d: %s", x.code, code, x.body)
	}
	return x
}
