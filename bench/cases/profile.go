package cases

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// ProfiledCases are the cases whose daemon is profiled when
// Config.ProfileDir is set (issue 12: where the time goes under W1, R2, S1).
var ProfiledCases = []string{"W1", "R2", "S1"}

// profileChunk is the length of one profile request, in seconds: the case
// is covered by consecutive chunks (merge them with go tool pprof -proto).
const profileChunk = 5

// profiled runs a case; for a profiled case with Config.ProfileDir set it
// meanwhile fetches consecutive CPU and allocation (delta) profiles from
// the main daemon's --pprof listener into ProfileDir as
// CASE-cpu-N.pb.gz and CASE-allocs-N.pb.gz. A profile that fails is
// logged; the case goes on.
func (s *suite) profiled(ctx context.Context, name string, run func(context.Context)) {
	if s.cfg.ProfileDir == "" || s.d == nil || s.d.Pprof == "" || !slices.Contains(ProfiledCases, name) {
		run(ctx)
		return
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, kind := range []string{"cpu", "allocs"} {
		wg.Go(func() {
			path := "/debug/pprof/profile"
			if kind == "allocs" {
				path = "/debug/pprof/allocs"
			}
			url := fmt.Sprintf("http://%s%s?seconds=%d", s.d.Pprof, path, profileChunk)
			for n := 0; ; n++ {
				file := filepath.Join(s.cfg.ProfileDir, fmt.Sprintf("%s-%s-%03d.pb.gz", name, kind, n))
				if err := fetchProfile(ctx, url, file); err != nil {
					s.log.Warn("bench: profile", "case", name, "kind", kind, "err", err)
					return
				}
				select {
				case <-done:
					return
				default:
				}
			}
		})
	}
	run(ctx)
	close(done)
	wg.Wait()
}

func fetchProfile(ctx context.Context, url, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %s: %s", url, resp.Status, b)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
