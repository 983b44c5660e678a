package cases

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

func TestAlternateSwapsOrderAndKeepsPairs(t *testing.T) {
	var order []string
	d, e, err := alternate(context.Background(), 4,
		func(_ context.Context, i int) (float64, error) {
			order = append(order, "d")
			return float64(10 + i), nil
		},
		func(_ context.Context, i int) (float64, error) {
			order = append(order, "e")
			return float64(20 + i), nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"d", "e", "e", "d", "d", "e", "e", "d"}; !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	if !slices.Equal(d, []float64{10, 11, 12, 13}) || !slices.Equal(e, []float64{20, 21, 22, 23}) {
		t.Fatalf("figures not in repetition order: %v %v", d, e)
	}
	boom := errors.New("boom")
	_, _, err = alternate(context.Background(), 3,
		func(context.Context, int) (float64, error) { return 1, nil },
		func(_ context.Context, i int) (float64, error) {
			if i == 1 {
				return 0, boom
			}
			return 1, nil
		})
	if !errors.Is(err, boom) {
		t.Fatalf("error not returned: %v", err)
	}
}

func TestCountingProxyCountsAndKeepsHost(t *testing.T) {
	var hosts []string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hosts = append(hosts, r.Host)
		w.WriteHeader(http.StatusOK)
	}))
	defer up.Close()
	p, err := NewCountingProxy(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	for _, m := range []string{http.MethodHead, http.MethodGet, http.MethodHead} {
		req, _ := http.NewRequest(m, p.URL+"/bucket/key", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if p.Count(http.MethodHead) != 2 || p.Count(http.MethodGet) != 1 {
		t.Fatalf("counts HEAD=%d GET=%d", p.Count(http.MethodHead), p.Count(http.MethodGet))
	}
	for _, h := range hosts {
		if "http://"+h != p.URL {
			t.Fatalf("upstream saw Host %q, want the proxy's %q (the client signed it)", h, p.URL)
		}
	}
	p.Reset()
	if p.Count(http.MethodHead) != 0 {
		t.Fatal("Reset did not zero the counters")
	}
}

func TestHdfsRemoveRefusesTopLevel(t *testing.T) {
	for _, p := range []string{"/", "/plain", "plain/", "/csekms/"} {
		if err := hdfsRemove(nil, p); err == nil {
			t.Errorf("hdfsRemove(%q) accepted", p)
		}
	}
}

func TestRotateStartsEachRepetitionWithTheNextSide(t *testing.T) {
	var order []int
	figs, err := rotate(context.Background(), 4, 3, func(_ context.Context, side, rep int) ([]float64, error) {
		order = append(order, side)
		return []float64{float64(10*side + rep), float64(-rep)}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 1, 2, 1, 2, 0, 2, 0, 1, 0, 1, 2}; !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	for side := range 3 {
		if want := []float64{float64(10 * side), float64(10*side + 1), float64(10*side + 2), float64(10*side + 3)}; !slices.Equal(figs[side][0], want) {
			t.Errorf("side %d metric 0: %v, want %v", side, figs[side][0], want)
		}
		if !slices.Equal(figs[side][1], []float64{0, -1, -2, -3}) {
			t.Errorf("side %d metric 1: %v", side, figs[side][1])
		}
	}
	boom := errors.New("boom")
	if _, err := rotate(context.Background(), 2, 2, func(context.Context, int, int) ([]float64, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("error not passed on: %v", err)
	}
}

func TestSumNote(t *testing.T) {
	total, note := sumNote(map[string]float64{"PutObject": 64, "CopyObject": 128, "HeadObject": 64})
	if total != 256 || note != "CopyObject 128, HeadObject 64, PutObject 64" {
		t.Fatalf("got %v %q", total, note)
	}
}
