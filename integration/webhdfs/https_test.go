package webhdfs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files.
func selfSigned(t *testing.T) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "emrfsd-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// TestHTTPSOnly: with dfs.http.policy=HTTPS_ONLY only the TLS listener
// serves, with the PEM certificate, and the DataNode step is https too.
func TestHTTPSOnly(t *testing.T) {
	cert, key := selfSigned(t)
	d := startDaemon(t, map[string]string{
		"dfs.http.policy":            "HTTPS_ONLY",
		"dfs.namenode.https-address": "127.0.0.1:0",
		"emrfsd.http.tls.cert.file":  cert,
		"emrfsd.http.tls.key.file":   key,
	})
	if d.HTTP != "" || d.HTTPS == "" {
		t.Fatalf("listeners: http %q https %q", d.HTTP, d.HTTPS)
	}
	su := superuser(t)
	u := "https://" + d.HTTPS + "/webhdfs/v1/plain/tls.txt?user.name=" + su + "&op="
	local := filepath.Join(t.TempDir(), "x")
	os.WriteFile(local, []byte("over TLS"), 0o600)
	first := curl(t, u+"CREATE", "--cacert", cert, "-X", "PUT").want(t, http.StatusTemporaryRedirect)
	if loc := first.header.Get("Location"); !strings.HasPrefix(loc, "https://"+d.HTTPS+"/webhdfs/v1/plain/tls.txt?op=CREATE") {
		t.Fatalf("Location %q", loc)
	}
	curl(t, u+"CREATE", "--cacert", cert, "-L", "-X", "PUT", "-T", local).want(t, http.StatusCreated)
	if got := curl(t, u+"OPEN", "--cacert", cert, "-L").want(t, 200); string(got.body) != "over TLS" {
		t.Fatalf("OPEN over TLS: %q", got.body)
	}
	// Without trusting the certificate, curl refuses the server.
	if err := runCurlExpectFailure(u + "GETFILESTATUS"); err != nil {
		t.Fatal(err)
	}
}
