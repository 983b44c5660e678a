package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/emrfsd/emrfsd/internal/config"
)

func TestParseArgs(t *testing.T) {
	var errb bytes.Buffer
	c, err := parseArgs([]string{"check", "--conf", "a.xml", "-Dx.y=1", "-D", "z=2", "--conf=b.xml", "--data-dir", "/d"}, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if !c.check || !reflect.DeepEqual(c.confs, []string{"a.xml", "b.xml"}) || !reflect.DeepEqual(c.defs, []string{"x.y=1", "z=2", "emrfsd.data.dir=/d"}) {
		t.Fatalf("parsed %+v", c)
	}
	for _, bad := range [][]string{{"-D", "novalue"}, {"extra"}, {"--nope"}} {
		if _, err := parseArgs(bad, &errb); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestRunReportsBadConfig(t *testing.T) {
	var out, errb bytes.Buffer
	dir := t.TempDir()
	code := run(context.Background(), []string{"check", "--data-dir", dir, "-D", "fs.s3.bucket.logs.cse.enabled=maybe"}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "fs.s3.bucket.logs.cse.enabled") {
		t.Fatalf("code %d, stderr %q", code, errb.String())
	}
	if code := run(context.Background(), []string{"--data-dir", dir, "--conf", "/nonexistent/emrfsd-site.xml"}, &out, &errb); code == 0 {
		t.Fatal("serve with a missing conf file succeeded")
	}
}

func TestKeyRegion(t *testing.T) {
	for _, c := range []struct {
		p    config.Policy
		want string
	}{
		{config.Policy{KMSKeyID: "alias/x"}, ""},
		{config.Policy{KMSKeyID: "alias/x", KMSRegion: "eu-west-1"}, "eu-west-1"},
		{config.Policy{KMSKeyID: "arn:aws:kms:ap-south-1:111122223333:key/abc"}, "ap-south-1"},
		{config.Policy{KMSKeyID: "arn:aws:kms:ap-south-1:111122223333:key/abc", KMSRegion: "us-east-2"}, "us-east-2"},
		{config.Policy{KMSKeyID: "1234abcd-12ab-34cd-56ef-1234567890ab"}, ""},
	} {
		if got := keyRegion(c.p); got != c.want {
			t.Errorf("%+v: %q want %q", c.p, got, c.want)
		}
	}
}

func TestStoreMode(t *testing.T) {
	for _, v := range []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_CONFIG_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(v, "")
	}
	o, err := config.Load(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := storeMode(o); m != config.StoreEmbedded {
		t.Fatalf("no AWS environment: %s", m)
	}
	t.Setenv("AWS_REGION", "us-east-1")
	if m := storeMode(o); m != config.StoreS3 {
		t.Fatalf("with AWS_REGION: %s", m)
	}
	o, _ = config.Load(nil, []string{"emrfsd.store=embedded"})
	if m := storeMode(o); m != config.StoreEmbedded {
		t.Fatalf("explicit embedded: %s", m)
	}
}

func TestAdvertisedDataNode(t *testing.T) {
	if dn := advertisedDataNode("", "0.0.0.0", "h", 9866); !dn.FromConn {
		t.Errorf("wildcard bind: %+v, want FromConn", dn)
	}
	if dn := advertisedDataNode("", "::", "h", 9866); !dn.FromConn {
		t.Errorf("IPv6 wildcard bind: %+v, want FromConn", dn)
	}
	if dn := advertisedDataNode("", "10.1.2.3", "h", 9866); dn.FromConn || dn.IPAddr != "10.1.2.3" {
		t.Errorf("specific bind: %+v", dn)
	}
	if dn := advertisedDataNode("localhost", "0.0.0.0", "h", 9866); dn.FromConn || dn.Hostname != "localhost" || (dn.IPAddr != "127.0.0.1" && dn.IPAddr != "::1") {
		t.Errorf("dfs.datanode.hostname=localhost: %+v", dn)
	}
}

// An S3 endpoint that accepts requests and never answers fails a call
// after the per-attempt header timeout (times the SDK's attempts), not at
// the call's own deadline.
func TestS3RequestTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // read nothing, answer nothing
		}
	}()
	cl := s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String("http://" + ln.Addr().String())
		o.UsePathStyle = true
		tuneS3(o, 200*time.Millisecond)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	_, err = cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	if err == nil || ctx.Err() != nil {
		t.Fatalf("HeadObject against a silent endpoint: %v (ctx %v)", err, ctx.Err())
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %v", took)
	}
}

func TestPprofListener(t *testing.T) {
	c, err := parseArgs([]string{"--pprof", "127.0.0.1:0"}, io.Discard)
	if err != nil || c.pprof != "127.0.0.1:0" {
		t.Fatalf("--pprof parsed as %+v, %v", c, err)
	}
	p, err := startPprof(c.pprof, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + p.Addr + "/debug/pprof/heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("heap profile")) {
		t.Fatalf("heap profile: %d %.200q", resp.StatusCode, body)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get("http://" + p.Addr + "/debug/pprof/"); err == nil {
		t.Fatal("pprof still served after Close")
	}
}
