package testkit

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestSyncBuffer(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() { defer wg.Done(); fmt.Fprintf(&b, "%d\n", i) }()
	}
	wg.Wait()
	if got := len(b.String()); got != 20 {
		t.Fatalf("%d bytes written, want 20: %q", got, b.String())
	}
}

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := NewClock(t0)
	for _, tc := range []struct {
		name string
		step func()
		want time.Time
	}{
		{"start", func() {}, t0},
		{"advance", func() { c.Advance(time.Minute) }, t0.Add(time.Minute)},
		{"set", func() { c.Set(t0.Add(time.Hour)) }, t0.Add(time.Hour)},
	} {
		tc.step()
		if got := c.Now(); !got.Equal(tc.want) {
			t.Errorf("%s: Now %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestMetricValue(t *testing.T) {
	fams := ParseMetrics(t, `# TYPE req_total counter
req_total{code="200",route="a"} 3
req_total{code="500",route="a"} 1
# TYPE lat_seconds histogram
lat_seconds_bucket{route="a",le="+Inf"} 4
lat_seconds_sum{route="a"} 0.5
lat_seconds_count{route="a"} 4
`)
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"req_total", map[string]string{"code": "200", "route": "a"}, 3},
		{"req_total", map[string]string{"code": "500", "route": "a"}, 1},
		{"req_total", map[string]string{"code": "200"}, -1},
		{"req_total", map[string]string{"code": "200", "route": "a", "x": ""}, -1},
		{"lat_seconds", map[string]string{"route": "a"}, 4},
		{"missing", nil, -1},
	} {
		if got := MetricValue(fams, tc.name, tc.labels); got != tc.want {
			t.Errorf("%s %v: %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
}

func TestReadJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.json")
	if err := os.WriteFile(path, []byte(`{"a":[1,2]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var v struct{ A []int }
	ReadJSON(t, path, &v)
	if len(v.A) != 2 || v.A[1] != 2 {
		t.Fatalf("decoded %+v", v)
	}
}
