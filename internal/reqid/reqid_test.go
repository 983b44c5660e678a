package reqid

import (
	"context"
	"regexp"
	"testing"
)

func TestIDs(t *testing.T) {
	hex16 := regexp.MustCompile(`^[0-9a-f]{16}$`)
	seen := map[string]bool{}
	for range 10000 {
		id := New()
		if !hex16.MatchString(id) {
			t.Fatalf("id %q is not 16 hex digits", id)
		}
		if seen[id] {
			t.Fatalf("id %q repeated", id)
		}
		seen[id] = true
	}
	ctx := context.Background()
	if From(ctx) != "" {
		t.Fatal("a bare context carries an id")
	}
	if got := From(With(ctx, "00ff00ff00ff00ff")); got != "00ff00ff00ff00ff" {
		t.Fatalf("From(With(id)) = %q", got)
	}
	if s := Suffix("00ff00ff00ff00ff"); s != " [request_id=00ff00ff00ff00ff]" {
		t.Fatalf("Suffix = %q", s)
	}
}
