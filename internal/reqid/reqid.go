package reqid

import (
	"context"
	"math/rand/v2"
	"strconv"
)

// LogKey is the slog attribute key of a request id.
const LogKey = "request_id"

// New returns a fresh id: 16 lower-case hex digits. Ids are random (not a
// secret, not a counter), so they stay distinct across restarts and
// daemons behind one address.
func New() string {
	const digits = 16
	s := strconv.FormatUint(rand.Uint64(), 16)
	for len(s) < digits {
		s = "0" + s
	}
	return s
}

type key struct{}

// With returns ctx carrying id.
func With(ctx context.Context, id string) context.Context { return context.WithValue(ctx, key{}, id) }

// From returns the id ctx carries ("" when none).
func From(ctx context.Context) string {
	id, _ := ctx.Value(key{}).(string)
	return id
}

// Suffix is what a front end appends to the message of an error a client
// sees, e.g. "Permission denied: ... [request_id=3f9a0c1d2e4b5a69]": the
// same key=value pair the daemon's log line carries, so grepping the log
// for the bracketed text finds the call. Hadoop clients print an exception
// message's first line; the suffix goes on that line.
func Suffix(id string) string { return " [" + LogKey + "=" + id + "]" }
