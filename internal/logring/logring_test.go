package logring

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestRingKeepsLastWarningsAndPassesEverything(t *testing.T) {
	var out bytes.Buffer
	inner := slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo})
	r := New(3, slog.LevelWarn)
	log := slog.New(r.Handler(inner)).With("component", "test")

	log.Debug("debug: neither kept nor written")
	log.Info("info: written, not kept")
	for i := range 5 {
		log.WithGroup("g").Warn(fmt.Sprintf("warn %d", i), "i", i, "err", "boom")
	}
	log.Error("an error", "request_id", "00ff00ff00ff00ff")

	recs := r.Records()
	if len(recs) != 3 || r.Total() != 6 {
		t.Fatalf("kept %d records (total %d), want the last 3 of 6", len(recs), r.Total())
	}
	wantMsgs := []string{"warn 3", "warn 4", "an error"}
	for i, rec := range recs {
		if rec.Message != wantMsgs[i] {
			t.Errorf("record %d: %q, want %q (oldest first)", i, rec.Message, wantMsgs[i])
		}
		if rec.Time.IsZero() {
			t.Errorf("record %d has no time", i)
		}
	}
	if recs[0].Level != slog.LevelWarn || recs[0].Attrs != "component=test g.i=3 g.err=boom" {
		t.Errorf("warn 3: level %v, attrs %q", recs[0].Level, recs[0].Attrs)
	}
	if recs[2].Level != slog.LevelError || recs[2].Attrs != "component=test request_id=00ff00ff00ff00ff" {
		t.Errorf("error: level %v, attrs %q", recs[2].Level, recs[2].Attrs)
	}
	// The wrapped handler got exactly what it would have got alone.
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 7 || strings.Contains(out.String(), "debug:") || !strings.Contains(lines[0], "info: written") {
		t.Fatalf("inner handler output:\n%s", out.String())
	}
	// Warnings are kept even when the daemon logs only errors.
	quiet := New(2, slog.LevelWarn)
	var qout bytes.Buffer
	slog.New(quiet.Handler(slog.NewTextHandler(&qout, &slog.HandlerOptions{Level: slog.LevelError}))).Warn("kept, not written")
	if len(quiet.Records()) != 1 || qout.Len() != 0 {
		t.Fatalf("records %v, output %q", quiet.Records(), qout.String())
	}
}
