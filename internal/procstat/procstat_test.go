package procstat

import (
	"os"
	"testing"
)

func TestOwnProcess(t *testing.T) {
	rss, err := Field(os.Getpid(), "VmRSS")
	if err != nil || rss < 1<<20 {
		t.Fatalf("VmRSS of this test: %d, %v", rss, err)
	}
	hwm, err := Field(os.Getpid(), "VmHWM")
	if err != nil || hwm < rss {
		t.Fatalf("VmHWM %d below VmRSS %d (%v)", hwm, rss, err)
	}
	if _, err := Field(os.Getpid(), "NoSuchField"); err == nil {
		t.Fatal("missing field accepted")
	}
}
