package main

import (
	"os"
	"strings"
	"testing"

	"github.com/emrfsd/emrfsd/internal/config"
)

// TestREADMEDocumentsEveryProperty keeps the README's configuration
// reference true: every property emrfsd reads has a row with its default.
func TestREADMEDocumentsEveryProperty(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	for _, p := range config.Documented() {
		def := p.Default
		if def == "" {
			def = "(empty)"
		}
		row := "| `" + p.Name + "` | `" + def + "` |"
		if !strings.Contains(readme, row) {
			t.Errorf("README lacks the row %q", row)
		}
	}
	for _, cmd := range []string{"go run ./cmd/emrfsd\n", "./scripts/test.sh\n"} {
		if !strings.Contains(readme, "```sh\n"+cmd) {
			t.Errorf("README lacks the command %q in a sh block", cmd)
		}
	}
}
