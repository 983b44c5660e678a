// Command localkms-loopback serves local-kms (github.com/nsmithuk/local-kms)
// on a loopback address. The stock local-kms binary listens on every
// interface and has no bind option; tests and benchmarks must only ever use
// loopback, so this wrapper reuses local-kms's own request handler and
// database and listens where KMS_LISTEN says (default 127.0.0.1:0). It
// prints "listening on ADDR" once it accepts connections.
//
// Keys are created by the tests through the KMS API (CreateKey/CreateAlias),
// so no seed file is needed.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"

	localkms "github.com/nsmithuk/local-kms/src"
	"github.com/nsmithuk/local-kms/src/config"
	"github.com/nsmithuk/local-kms/src/data"
)

func getenv(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func main() {
	config.AWSAccountId = getenv("KMS_ACCOUNT_ID", "111122223333")
	config.AWSRegion = getenv("KMS_REGION", "us-east-1")
	dataPath := os.Getenv("KMS_DATA_PATH")
	if dataPath == "" {
		log.Fatal("KMS_DATA_PATH must be set (local-kms's default is a shared folder)")
	}
	abs, err := filepath.Abs(dataPath)
	if err != nil {
		log.Fatal(err)
	}
	config.DatabasePath = abs
	db := data.NewDatabase(abs)
	defer db.Close()

	addr := getenv("KMS_LISTEN", "127.0.0.1:0")
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		log.Fatal(err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		log.Fatalf("KMS_LISTEN %q is not a loopback address", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		localkms.HandleRequest(w, r, db)
	})
	log.Fatal(http.Serve(ln, h))
}
