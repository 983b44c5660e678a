package logring

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Record is one kept log record.
type Record struct {
	Time    time.Time
	Level   slog.Level
	Message string
	// Attrs are the record's attributes (the logger's With attributes
	// included) as slog's text handler writes them: key=value pairs.
	Attrs string
}

// Ring is a bounded ring of records. It is safe for concurrent use.
type Ring struct {
	min slog.Level

	mu    sync.Mutex
	recs  []Record // ring storage, len ≤ cap
	next  int      // slot the next record goes to once full
	total uint64   // records kept since start (including overwritten ones)
	buf   bytes.Buffer
}

// New returns a ring keeping the last n records at or above min.
func New(n int, min slog.Level) *Ring {
	if n < 1 {
		n = 1
	}
	return &Ring{min: min, recs: make([]Record, 0, n)}
}

// Records returns the kept records, oldest first.
func (r *Ring) Records() []Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Record, 0, len(r.recs))
	if len(r.recs) == cap(r.recs) {
		out = append(out, r.recs[r.next:]...)
		out = append(out, r.recs[:r.next]...)
		return out
	}
	return append(out, r.recs...)
}

// Total is the number of records at or above the ring's level seen since
// start, including those the ring no longer holds.
func (r *Ring) Total() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}

func (r *Ring) add(rec Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total++
	if len(r.recs) < cap(r.recs) {
		r.recs = append(r.recs, rec)
		return
	}
	r.recs[r.next] = rec
	r.next = (r.next + 1) % cap(r.recs)
}

// Handler returns a handler that passes every record to inner and keeps
// those at or above the ring's level.
func (r *Ring) Handler(inner slog.Handler) slog.Handler {
	h := &handler{inner: inner, ring: r}
	// attrs formats a record's attributes like inner's text output, minus
	// time, level and message (kept as fields of Record); it writes into
	// r.buf under r.mu.
	h.attrs = slog.NewTextHandler(&ringBuf{r}, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
				return slog.Attr{}
			}
			return a
		},
	})
	return h
}

// ringBuf is the formatting handler's writer: Handle holds r.mu while it
// formats, so the buffer is the ring's own.
type ringBuf struct{ r *Ring }

func (b *ringBuf) Write(p []byte) (int, error) { return b.r.buf.Write(p) }

type handler struct {
	inner slog.Handler
	attrs slog.Handler
	ring  *Ring
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.ring.min || h.inner.Enabled(ctx, l)
}

func (h *handler) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Level >= h.ring.min {
		h.ring.mu.Lock()
		h.ring.buf.Reset()
		_ = h.attrs.Handle(ctx, rec)
		attrs := strings.TrimSpace(h.ring.buf.String())
		h.ring.mu.Unlock()
		h.ring.add(Record{Time: rec.Time, Level: rec.Level, Message: rec.Message, Attrs: attrs})
	}
	if h.inner.Enabled(ctx, rec.Level) {
		return h.inner.Handle(ctx, rec)
	}
	return nil
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &handler{inner: h.inner.WithAttrs(as), attrs: h.attrs.WithAttrs(as), ring: h.ring}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{inner: h.inner.WithGroup(name), attrs: h.attrs.WithGroup(name), ring: h.ring}
}
