package webhdfs

import (
	"context"
	"net/http"
	"os/exec"
	"testing"
	"time"
)

// TestShutdownAbortsCreate: SIGTERM while a slow client is still sending a
// CREATE body: the daemon stops within emrfsd.shutdown.timeout, cleanly,
// and the half-sent file is not published.
func TestShutdownAbortsCreate(t *testing.T) {
	d := startDaemon(t, map[string]string{"emrfsd.shutdown.timeout": "2s"})
	su := superuser(t)
	local, _ := randomFile(t, 42, 3<<20)
	first := curl(t, d.wh("/csekms/slow.bin", "op", "CREATE", "user.name", su), "-X", "PUT").want(t, http.StatusTemporaryRedirect)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	slow := exec.CommandContext(ctx, "curl", "-s", "--limit-rate", "100K", "-X", "PUT", "-T", local, first.header.Get("Location"))
	if err := slow.Start(); err != nil {
		t.Fatal(err)
	}
	defer slow.Wait()
	// The file shows as being written (HDFS shows open files with their
	// bytes so far) once the body flows.
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := curl(t, d.wh("/csekms/slow.bin", "op", "GETFILESTATUS", "user.name", su))
		if r.code == 200 && r.json(t, "FileStatus")["length"].(float64) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the slow create never showed: %d %s", r.code, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	start := time.Now()
	if err := d.Stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, d.Log.String())
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Fatalf("shutdown took %v with a 2 s drain", took)
	}
	if _, err := d.env.S3Client().HeadObject(context.Background(), headInput(d.buckets["csekms"], "slow.bin")); err == nil {
		t.Fatalf("a create cut by shutdown was published\n%s", d.Log.String())
	}
}
