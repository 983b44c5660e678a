package webhdfs

import (
	"regexp"
	"strings"
	"testing"

	"github.com/emrfsd/emrfsd/dfs"
)

// A failed request carries one id: in the X-Request-Id header and at the
// end of the RemoteException message (and in the daemon's log line), so
// what a client printed finds the log line.
func TestRequestIDInHeaderAndMessage(t *testing.T) {
	r := newRig(t, Options{}, dfs.Options{})
	x := r.get("/data/missing", "op", "GETFILESTATUS", "user.name", "alice").is(t, 404)
	id := x.header.Get("X-Request-Id")
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(id) {
		t.Fatalf("X-Request-Id %q", id)
	}
	msg := x.json(t)["RemoteException"].(map[string]any)["message"].(string)
	if !strings.HasSuffix(msg, " [request_id="+id+"]") {
		t.Errorf("message %q does not end with the request id %s", msg, id)
	}
	if y := r.get("/data/missing", "op", "GETFILESTATUS", "user.name", "alice"); y.header.Get("X-Request-Id") == id {
		t.Error("two requests got the same id")
	}
}
