package procstat

import (
	"os"
	"testing"
	"time"
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

func TestParseStat(t *testing.T) {
	line := []byte("4242 (a (b) c) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 9 0 100 1000000 500 18446744073709551615\n")
	u, s, err := parseStat(line)
	if err != nil || u != 2500*time.Millisecond || s != 750*time.Millisecond {
		t.Fatalf("user %v system %v err %v", u, s, err)
	}
	if _, _, err := parseStat([]byte("4242 (x) S 1 2")); err == nil {
		t.Fatal("short line accepted")
	}
}

func TestOwnCPU(t *testing.T) {
	u0, s0, err := CPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(300 * time.Millisecond)
	x := uint64(1)
	for time.Now().Before(deadline) { // burn CPU in user space
		x = x*6364136223846793005 + 1442695040888963407
	}
	u1, s1, err := CPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if d := (u1 + s1) - (u0 + s0); d < 50*time.Millisecond {
		t.Fatalf("300ms of spinning counted as %v CPU (x=%d)", d, x)
	}
}
