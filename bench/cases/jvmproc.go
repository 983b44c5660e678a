package cases

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// lineProc is a child process (a JVM or PySpark) that answers one line on
// stdout for each command line on stdin: "OK fields..." or "ERR message".
// It prints a first line starting with its ready word when it can take
// commands. Its stderr is kept (the tail) for error reports.
type lineProc struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr *syncBuf
	exited chan struct{}
	err    error
}

// startLineProc starts cmd and waits until it prints a line starting with
// ready, which it returns.
func startLineProc(ctx context.Context, name string, cmd *exec.Cmd, ready string, timeout time.Duration) (*lineProc, string, error) {
	p := &lineProc{name: name, cmd: cmd, lines: make(chan string, 16), stderr: &syncBuf{}, exited: make(chan struct{})}
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, "", err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	cmd.Stderr = p.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("bench: start %s: %w", name, err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		p.err = cmd.Wait()
		close(p.exited)
	}()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case l := <-p.lines:
			if strings.HasPrefix(l, ready) {
				return p, l, nil
			}
		case <-p.exited:
			return nil, "", fmt.Errorf("bench: %s exited before it was ready (%v):\n%s", name, p.err, tail(p.stderr.String()))
		case <-deadline.C:
			p.kill()
			return nil, "", fmt.Errorf("bench: %s not ready after %s:\n%s", name, timeout, tail(p.stderr.String()))
		case <-ctx.Done():
			p.kill()
			return nil, "", ctx.Err()
		}
	}
}

// errProc reports a command the child answered with ERR.
var errProc = errors.New("bench: child process reported an error")

// call sends one command and returns the fields after "OK".
func (p *lineProc) call(ctx context.Context, timeout time.Duration, args ...string) ([]string, error) {
	line := strings.Join(args, " ")
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		return nil, fmt.Errorf("bench: %s: send %q: %w:\n%s", p.name, line, err, tail(p.stderr.String()))
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case l := <-p.lines:
		if f, ok := strings.CutPrefix(l, "OK"); ok {
			return strings.Fields(f), nil
		}
		return nil, fmt.Errorf("%w: %s: %q: %s", errProc, p.name, line, strings.TrimPrefix(l, "ERR "))
	case <-p.exited:
		return nil, fmt.Errorf("bench: %s exited during %q (%v):\n%s", p.name, line, p.err, tail(p.stderr.String()))
	case <-t.C:
		return nil, fmt.Errorf("bench: %s: %q took more than %s:\n%s", p.name, line, timeout, tail(p.stderr.String()))
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// close closes stdin (the children stop at EOF) and waits, killing the
// process group after grace.
func (p *lineProc) close(grace time.Duration) {
	_ = p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(grace):
		p.kill()
	}
}

func (p *lineProc) kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.exited
}
