// Command emrfsd is an HDFS-compatible gateway to S3 with EMRFS-style
// per-bucket encryption.
//
//	emrfsd [--conf FILE]... [-D name=value]... [--data-dir DIR]   serve
//	emrfsd check [--conf FILE]... [-D name=value]...               validate and exit
//	emrfsd --pprof 127.0.0.1:6060 ...                              also serve /debug/pprof/
//
// With no configuration at all it serves an embedded object store and an
// embedded KMS kept in the data directory (default ./emrfsd-data), with one
// plain and one cse-kms bucket.
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
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// cliArgs are the parsed command line.
type cliArgs struct {
	check     bool
	confs     []string
	defs      []string
	dataDir   string
	readyFile string
	logLevel  string
	pprof     string // --pprof address; "" = off
}

// normalizeD turns "-Dname=value" into "-D" "name=value" (Hadoop's form).
func normalizeD(args []string) []string {
	out := make([]string, 0, len(args))
	for _, a := range args {
		if strings.HasPrefix(a, "-D") && len(a) > 2 && a != "-D" {
			out = append(out, "-D", a[2:])
			continue
		}
		out = append(out, a)
	}
	return out
}

func parseArgs(args []string, stderr io.Writer) (*cliArgs, error) {
	c := &cliArgs{}
	if len(args) > 0 && args[0] == "check" {
		c.check = true
		args = args[1:]
	}
	fl := flag.NewFlagSet("emrfsd", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var confs, defs multiFlag
	fl.Var(&confs, "conf", "Hadoop XML configuration `file` (repeatable; later files override earlier ones)")
	fl.Var(&defs, "D", "set a property: -D `name=value` (repeatable; overrides files)")
	fl.StringVar(&c.dataDir, "data-dir", "", "daemon state `directory` (emrfsd.data.dir, default ./emrfsd-data)")
	fl.StringVar(&c.readyFile, "ready-file", "", "write the bound addresses as JSON to this `file` once serving")
	fl.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fl.StringVar(&c.pprof, "pprof", "", "serve Go's net/http/pprof profiles on this `address` (e.g. 127.0.0.1:6060; off by default, unauthenticated: bind to loopback)")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: emrfsd [check] [--conf FILE]... [-D name=value]... [--data-dir DIR]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(normalizeD(args)); err != nil {
		return nil, err
	}
	if fl.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fl.Arg(0))
	}
	for _, d := range defs {
		if !strings.Contains(d, "=") {
			return nil, fmt.Errorf("-D %q: want name=value", d)
		}
	}
	c.confs, c.defs = confs, defs
	if c.dataDir != "" {
		c.defs = append(c.defs, "emrfsd.data.dir="+c.dataDir)
	}
	return c, nil
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: %w", level, err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, err := parseArgs(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "emrfsd:", err)
		return 2
	}
	log, err := newLogger(stderr, c.logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "emrfsd:", err)
		return 2
	}
	if c.check {
		if err := check(ctx, c, log); err != nil {
			fmt.Fprintln(stderr, "emrfsd check: configuration refused:")
			for _, line := range strings.Split(err.Error(), "\n") {
				fmt.Fprintln(stderr, "  "+line)
			}
			return 1
		}
		fmt.Fprintln(stdout, "emrfsd check: configuration OK")
		return 0
	}
	if err := serve(ctx, c, log); err != nil {
		log.Error("emrfsd stopped", "err", err)
		return 1
	}
	return 0
}
