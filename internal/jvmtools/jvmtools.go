package jvmtools

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Pinned versions, as installed by scripts/jvm.sh.
const (
	HadoopVersion  = "3.4.1"
	PySparkVersion = "4.0.1"
)

// Tools are the installed JVM-side tools.
type Tools struct {
	Dir         string // the tools directory (./tools)
	HadoopLib   string // Hadoop client jars (hadoop-client-api, -runtime, slf4j)
	ContractLib string // hadoop-common's test jar, JUnit, AssertJ
	BenchLib    string // hadoop-aws, the AWS SDK v2 bundle, hadoop-client-minicluster
	Python      string // the venv's python with PySpark
}

// What says which optional parts Locate must find beside the client jars,
// java and javac.
type What struct {
	PySpark bool
	Bench   bool
}

// Locate checks that dir holds what w asks for and returns the paths.
func Locate(dir string, w What) (*Tools, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	h := filepath.Join(dir, "jvm", "hadoop-"+HadoopVersion)
	t := &Tools{
		Dir:         dir,
		HadoopLib:   filepath.Join(h, "lib"),
		ContractLib: filepath.Join(h, "contract-lib"),
		BenchLib:    filepath.Join(h, "bench-lib"),
		Python:      filepath.Join(dir, "venv", "bin", "python"),
	}
	need := []string{
		filepath.Join(t.HadoopLib, "hadoop-client-api-"+HadoopVersion+".jar"),
		filepath.Join(t.HadoopLib, "hadoop-client-runtime-"+HadoopVersion+".jar"),
	}
	if w.Bench {
		if len(t.S3AJars()) < 2 {
			return nil, fmt.Errorf("jvmtools: no AWS SDK bundle jar in %s: run scripts/jvm.sh", t.BenchLib)
		}
		need = append(need, t.S3AJars()...)
		need = append(need, filepath.Join(t.BenchLib, "hadoop-client-minicluster-"+HadoopVersion+".jar"))
	}
	if w.PySpark {
		need = append(need, t.Python)
	}
	for _, p := range need {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("jvmtools: %s missing: run scripts/jvm.sh: %w", p, err)
		}
	}
	if w.PySpark {
		raw, err := os.ReadFile(filepath.Join(dir, "venv", ".pyspark.version"))
		if err != nil || strings.TrimSpace(string(raw)) != PySparkVersion {
			return nil, fmt.Errorf("jvmtools: PySpark %s is not installed in %s/venv: run scripts/jvm.sh", PySparkVersion, dir)
		}
	}
	for _, c := range []string{"java", "javac"} {
		if _, err := exec.LookPath(c); err != nil {
			return nil, fmt.Errorf("jvmtools: %s not found: a JDK 17+ is needed (scripts/jvm.sh checks it)", c)
		}
	}
	return t, nil
}

// S3AJars returns hadoop-aws and the AWS SDK bundle it depends on, the jars
// S3A needs beside the Hadoop client.
func (t *Tools) S3AJars() []string {
	bundle, _ := filepath.Glob(filepath.Join(t.BenchLib, "bundle-*.jar"))
	return append([]string{filepath.Join(t.BenchLib, "hadoop-aws-"+HadoopVersion+".jar")}, bundle...)
}

// Classpath joins classpath entries; a directory of jars is written DIR/*.
func Classpath(entries ...string) string { return strings.Join(entries, string(os.PathListSeparator)) }

// Javac compiles srcs into outDir against classpath.
func Javac(ctx context.Context, outDir, classpath string, srcs []string) error {
	if len(srcs) == 0 {
		return fmt.Errorf("jvmtools: javac: no sources")
	}
	args := append([]string{"-encoding", "UTF-8", "-d", outDir, "-cp", classpath}, srcs...)
	if out, err := exec.CommandContext(ctx, "javac", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("jvmtools: javac: %w\n%s", err, out)
	}
	return nil
}

// CleanEnv returns this process's environment without the settings that
// would point Hadoop, Spark or PySpark elsewhere (HADOOP_*, SPARK_*,
// PYSPARK_*, PYTHONPATH), plus SPARK_LOCAL_IP=127.0.0.1 and unbuffered
// Python output.
func CleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "HADOOP_"), strings.HasPrefix(k, "SPARK_"), strings.HasPrefix(k, "PYSPARK_"), k == "PYTHONPATH":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "SPARK_LOCAL_IP=127.0.0.1", "PYTHONUNBUFFERED=1")
}
