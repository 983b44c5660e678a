package layout

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/emrfsd/emrfsd/"

// allowed lists, for each package of the module (path relative to the
// module; a trailing "/..." covers a subtree), the module packages its
// non-test code may import. Test files may compose rooms freely.
var allowed = map[string][]string{
	// Leaves.
	"internal/errs":              nil,
	"internal/s3api":             nil,
	"internal/partbuf":           nil,
	"internal/procstat":          nil,
	"internal/reqid":             nil,
	"internal/logring":           nil,
	"internal/hdfschecksum":      nil,
	"internal/hadoopconf":        nil,
	"internal/localstore":        nil,
	"internal/testenv":           nil,
	"internal/jvmtools":          nil,
	"internal/layout":            nil,
	"internal/metricstest":       nil,
	"internal/testdaemon":        {"internal/hadoopconf", "internal/procstat", "internal/testenv"},
	"cache":                      nil,
	"proto":                      nil,
	"proto/emrfsd/hadoop/common": nil,
	"proto/emrfsd/hadoop/hdfs":   {"proto/emrfsd/hadoop/common"},
	// Helpers below the namespace.
	"internal/gcmstream":     {"internal/errs"},
	"internal/kms":           {"internal/errs"},
	"internal/kms/embedded":  {"internal/errs", "internal/kms"},
	"internal/kms/kmstest":   {"internal/errs", "internal/kms"},
	"internal/config":        {"internal/hadoopconf", "internal/errs"},
	"internal/localdisk":     {"internal/partbuf", "internal/errs", "internal/kms"},
	"internal/uploadjournal": {"internal/s3api"},
	"internal/s3metrics":     {"internal/s3api"},
	"internal/attrindex":     {"internal/errs"},
	// Encryption providers.
	"providers":              {"internal/errs"},
	"providers/plain":        {"providers", "internal/errs"},
	"providers/sse":          {"providers", "internal/errs"},
	"providers/cse":          {"providers", "internal/errs", "cache", "internal/gcmstream", "internal/kms"},
	"providers/providertest": {"providers", "internal/errs"},
	// The namespace over S3, the block map, the HDFS rules.
	"fs":     {"providers", "internal/errs", "internal/s3api", "internal/partbuf", "internal/attrindex"},
	"blocks": {"fs", "providers", "internal/errs"},
	"dfs":    {"fs", "internal/errs"},
	// Front ends: never each other.
	"namenode": {"dfs", "blocks", "fs", "internal/errs", "internal/reqid", "proto/emrfsd/hadoop/common", "proto/emrfsd/hadoop/hdfs"},
	"datanode": {"blocks", "internal/errs", "internal/hdfschecksum", "proto/emrfsd/hadoop/hdfs"},
	"webhdfs":  {"dfs", "blocks", "fs", "internal/errs", "internal/reqid", "internal/hdfschecksum"},
	// Composition: the daemon wires everything; tests and benchmarks.
	"cmd/...":         {"*"},
	"bench/...":       {"bench/...", "internal/...", "proto/..."},
	"integration/...": {"*"},
	"datanode/e2e":    {"*"},
}

func rowFor(pkg string) ([]string, bool) {
	if row, ok := allowed[pkg]; ok {
		return row, true
	}
	for k, row := range allowed {
		if base, ok := strings.CutSuffix(k, "/..."); ok && (pkg == base || strings.HasPrefix(pkg, base+"/")) {
			return row, true
		}
	}
	return nil, false
}

func permits(row []string, imp string) bool {
	for _, a := range row {
		if a == "*" || a == imp {
			return true
		}
		if base, ok := strings.CutSuffix(a, "/..."); ok && (imp == base || strings.HasPrefix(imp, base+"/")) {
			return true
		}
	}
	return false
}

func TestImportsRunDownward(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}:{{join .Imports \" \"}}", module+"...")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		pkg = strings.TrimPrefix(pkg, module)
		row, ok := rowFor(pkg)
		if !ok {
			t.Errorf("package %s has no row in the layout table: say what it may import", pkg)
			continue
		}
		n++
		for _, imp := range strings.Fields(imports) {
			rel, ours := strings.CutPrefix(imp, module)
			if ours && !permits(row, rel) {
				t.Errorf("%s imports %s, which its row does not allow", pkg, rel)
			}
		}
	}
	if n < 30 {
		t.Fatalf("checked only %d packages", n)
	}
}
