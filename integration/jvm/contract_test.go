package jvm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/internal/jvmtools"
)

// contractDirs are the bucket directories Hadoop's contract suites run in:
// the plain bucket and the CSE-KMS one (whose reads and writes go through
// the streaming encryption).
var contractDirs = []string{"plain", "csekms"}

// TestHadoopContract runs Hadoop's own FileSystem contract suites
// (org.apache.hadoop.fs.contract in hadoop-common 3.4.1's test jar) with
// Hadoop's hdfs:// client against the tier's daemon, as the superuser, once in
// each of contractDirs, in one JVM. The binding and emrfsd's contract options
// are in contract/ (contract/resources/contract/emrfsd.xml says what differs
// from HDFS's hdfs.xml and why). Every JUnit test is a subtest: PASS, FAIL,
// or SKIP with the suite's assumption message, which names the contract
// option or declaration that skips it.
func TestHadoopContract(t *testing.T) {
	f := getFixture(t)
	lib := filepath.Join(filepath.Dir(f.hadoopLib), "contract-lib")
	testJar := filepath.Join(lib, "hadoop-common-"+hadoopVersion+"-tests.jar")
	if _, err := os.Stat(testJar); err != nil {
		t.Fatalf("%s missing: run scripts/jvm.sh (./scripts/test.sh does): %v", testJar, err)
	}
	srcs, err := filepath.Glob(filepath.Join("contract", "java", "emrfsd", "contract", "*.java"))
	if err != nil || len(srcs) == 0 {
		t.Fatalf("no Java sources under contract/java: %v", err)
	}
	resources, err := filepath.Abs(filepath.Join("contract", "resources"))
	if err != nil {
		t.Fatal(err)
	}
	classes := filepath.Join(f.tmp, "contract-classes")
	cp := jvmtools.Classpath(filepath.Join(f.hadoopLib, "*"), filepath.Join(lib, "*"))
	t0 := time.Now()
	if err := jvmtools.Javac(context.Background(), classes, cp, srcs); err != nil {
		t.Fatal(err)
	}
	t.Logf("javac took %.1f s", time.Since(t0).Seconds())

	local := filepath.Join(f.tmp, "local-contract")
	if err := os.MkdirAll(local, 0o700); err != nil {
		t.Fatal(err)
	}
	jargs := []string{
		"-Xmx768m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Djava.io.tmpdir=" + local,
		"-Demrfsd.nn=hdfs://" + f.d.NameNode,
		"-Demrfsd.contract.dirs=" + strings.Join(contractDirs, ","),
		"-Demrfsd.run=" + f.run,
		"-Demrfsd.only=" + os.Getenv("EMRFSD_JVM_ONLY"),
		"-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
		"-Dorg.slf4j.simpleLogger.cacheOutputStream=true",
		"-cp", strings.Join([]string{classes, resources, cp}, string(os.PathListSeparator)),
		"emrfsd.contract.ContractMain",
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HADOOP_") {
			env = append(env, kv)
		}
	}
	f.runChecks(t, "contract", 10*time.Minute, env, "java", jargs...)
	fmt.Fprintf(os.Stderr, "jvm: TestHadoopContract took %.1f s\n", time.Since(t0).Seconds())
}
