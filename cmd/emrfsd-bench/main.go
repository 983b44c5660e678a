// Command emrfsd-bench benchmarks emrfsd against direct S3 access (and the
// AWS S3 Encryption Client) on MinIO and local-kms, and writes a Markdown
// table and a PNG chart of the results.
//
//	emrfsd-bench [--quick] [--out DIR] [--emrfsd BIN] [--cases W1,R1,...]
//	             [--s3-endpoint URL] [--kms-endpoint URL] [--profile DIR] [--tools DIR] [--jvm-src DIR]
//
// The endpoints default to EMRFSD_TEST_S3_ENDPOINT and
// EMRFSD_TEST_KMS_ENDPOINT (set by scripts/services.sh). The tool starts the
// emrfsd binary itself. The JVM peer cases (JW1, JS1, J1: the same Java
// client code and Spark job against emrfsd, Hadoop S3A and a MiniDFSCluster)
// need what scripts/jvm.sh installs in --tools and the sources in --jvm-src.
// Run it through scripts/bench.sh.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/emrfsd/emrfsd/bench/cases"
	"github.com/emrfsd/emrfsd/bench/report"
	"github.com/emrfsd/emrfsd/bench/s3ec"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 && (os.Args[1] == s3ec.CmdPut || os.Args[1] == s3ec.CmdGet) {
		if err := s3ec.Main(ctx, os.Args[1:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "emrfsd-bench:", err)
			os.Exit(1)
		}
		return
	}
	if _, err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "emrfsd-bench:", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// outputs are the files a run wrote and the report they show.
type outputs struct {
	Markdown, Chart string
	Report          *report.Report
}

// run parses args, runs the benchmark and writes its outputs.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (outputs, error) {
	fl := flag.NewFlagSet("emrfsd-bench", flag.ContinueOnError)
	fl.SetOutput(stderr)
	quick := fl.Bool("quick", false, "small sizes and 3 repetitions (a smoke test of about two minutes)")
	out := fl.String("out", "bench-out", "directory for the Markdown table and the PNG chart")
	bin := fl.String("emrfsd", "", "emrfsd binary to start (default: emrfsd next to this program)")
	only := fl.String("cases", "", "comma-separated subset of "+strings.Join(cases.AllCases, ","))
	s3ep := fl.String("s3-endpoint", os.Getenv("EMRFSD_TEST_S3_ENDPOINT"), "S3 (MinIO) endpoint")
	profDir := fl.String("profile", "", "save CPU and allocation profiles of the daemon during "+strings.Join(cases.ProfiledCases, ",")+" into this `directory`")
	kmsep := fl.String("kms-endpoint", os.Getenv("EMRFSD_TEST_KMS_ENDPOINT"), "KMS (local-kms) endpoint")
	tools := fl.String("tools", "tools", "tools directory filled by scripts/jvm.sh (J cases)")
	jvmSrc := fl.String("jvm-src", filepath.Join("bench", "jvm"), "the J cases' Java sources and Spark job")
	if err := fl.Parse(args); err != nil {
		return outputs{}, err
	}
	if *s3ep == "" || *kmsep == "" {
		return outputs{}, errors.New("no S3/KMS endpoint: pass --s3-endpoint and --kms-endpoint or run scripts/bench.sh")
	}
	self, err := os.Executable()
	if err != nil {
		return outputs{}, err
	}
	emrfsd, err := findEmrfsd(*bin, self)
	if err != nil {
		return outputs{}, err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return outputs{}, err
	}
	work, err := os.MkdirTemp("", "emrfsd-bench-")
	if err != nil {
		return outputs{}, err
	}
	defer os.RemoveAll(work)
	sizes := cases.Full()
	if *quick {
		sizes = cases.Quick()
	}
	cfg := cases.Config{
		Servers:    cases.Servers{S3Endpoint: *s3ep, KMSEndpoint: *kmsep},
		Emrfsd:     emrfsd,
		Self:       self,
		WorkDir:    work,
		Sizes:      sizes,
		Tools:      *tools,
		JVMSrc:     *jvmSrc,
		ProfileDir: *profDir,
		Log:        slog.New(slog.NewTextHandler(stderr, nil)),
	}
	if *only != "" {
		cfg.Cases = strings.Split(*only, ",")
	}
	rep, err := cases.Run(ctx, cfg)
	if err != nil {
		return outputs{}, err
	}
	o := outputs{
		Markdown: filepath.Join(*out, "emrfsd-bench-"+sizes.Mode+".md"),
		Chart:    filepath.Join(*out, "emrfsd-bench-"+sizes.Mode+".png"),
		Report:   rep,
	}
	f, err := os.Create(o.Markdown)
	if err != nil {
		return outputs{}, err
	}
	werr := rep.Markdown(io.MultiWriter(f, stdout))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return outputs{}, werr
	}
	if err := rep.Chart(o.Chart); err != nil {
		return outputs{}, err
	}
	fmt.Fprintf(stdout, "\ntable: %s\nchart: %s\n", o.Markdown, o.Chart)
	return o, nil
}

// findEmrfsd resolves the emrfsd binary: the flag, else a sibling of this
// program.
func findEmrfsd(flagValue, self string) (string, error) {
	if flagValue != "" {
		if _, err := os.Stat(flagValue); err != nil {
			return "", fmt.Errorf("--emrfsd: %w", err)
		}
		return flagValue, nil
	}
	sib := filepath.Join(filepath.Dir(self), "emrfsd")
	if fi, err := os.Stat(sib); err == nil && !fi.IsDir() {
		return sib, nil
	}
	return "", errors.New("no emrfsd binary: pass --emrfsd (scripts/bench.sh builds it)")
}
