package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Load test bounds (README "API conventions"). Synchronous builds run in the
// heavy pool (one slot per core), so 40 concurrent builds hold at most that
// many builds in memory at once. On 2 cores the server idles at about 140 MB
// with the demo market and peaked at 310 MB under this load (2.4 GB before
// the pool, when all 40 ran at once); the bound leaves room for one more
// build per slot and for GC timing.
const (
	loadDemoRange = "2024-11-01:2024-12-31"
	loadBuilds    = 40
	loadHealthMax = time.Second
)

// loadRSSBoundMB is the peak RSS allowed: 256 MB plus 128 MB per heavy slot
// (the server's pool has runtime.NumCPU() slots; 512 MB on 2 cores).
func loadRSSBoundMB() float64 { return 256 + 128*float64(runtime.NumCPU()) }

// rssKB reads VmRSS of pid from /proc (0 if it cannot).
func rssKB(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// TestLoadConcurrentBuilds fires 40 synchronous /build_matrix requests at once
// at the real binary while /health is polled and the process RSS sampled:
// every build answers 200 or a 503/429 with Retry-After, /health answers
// within a second throughout, and the peak RSS stays under loadRSSBoundMB.
// SIGMA_LOAD_SOAK=1 repeats the burst for about five minutes.
func TestLoadConcurrentBuilds(t *testing.T) {
	bin := binary(t)
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Fatalf("the load test samples RSS from /proc: %v", err)
	}
	soak := os.Getenv("SIGMA_LOAD_SOAK") == "1"
	s := start(t, bin, filepath.Join(t.TempDir(), "data"), "--demo-range", loadDemoRange)
	defer s.stop(t)
	const model = "spy_opt_0dte_hourly_load"
	getJSON(t, s, "POST", "/models", `{"ticker":"spy","pack_id":"zerosigma","variant":"load"}`, 200)
	body := `{"model_id":"` + model + `","pack_id":"zerosigma","start":"2024-12-02","end":"2024-12-31"}`

	pid := s.cmd.Process.Pid
	idleKB := rssKB(pid)
	var peakKB, healthMaxNS, healthN, healthBad atomic.Int64
	done := make(chan struct{})
	var mon sync.WaitGroup
	mon.Add(2)
	go func() { // RSS sampler
		defer mon.Done()
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		for {
			if kb := rssKB(pid); kb > peakKB.Load() {
				peakKB.Store(kb)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	go func() { // /health poller
		defer mon.Done()
		hc := &http.Client{Timeout: 2 * loadHealthMax}
		for {
			t0 := time.Now()
			resp, err := hc.Get(s.base + "/health")
			d := time.Since(t0)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			healthN.Add(1)
			if err != nil || resp.StatusCode != 200 || d > loadHealthMax {
				healthBad.Add(1)
				t.Errorf("/health during load: %v %v after %s", err, resp, d)
			}
			if int64(d) > healthMaxNS.Load() {
				healthMaxNS.Store(int64(d))
			}
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()

	client := &http.Client{Timeout: 3 * time.Minute}
	counts := map[int]int{}
	var mu sync.Mutex
	started := time.Now()
	for round := 1; ; round++ {
		var wg sync.WaitGroup
		for i := 0; i < loadBuilds; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("POST", s.base+"/build_matrix", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					t.Errorf("build: %v", err)
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				mu.Lock()
				counts[resp.StatusCode]++
				mu.Unlock()
				switch resp.StatusCode {
				case 200:
				case 503, 429:
					if resp.Header.Get("Retry-After") == "" || !strings.Contains(string(b), `"ok":false`) {
						t.Errorf("build refused without Retry-After or envelope: %v %s", resp.Header, b)
					}
				default:
					t.Errorf("build: %d %.300s", resp.StatusCode, b)
				}
			}()
		}
		wg.Wait()
		if !soak || time.Since(started) > 5*time.Minute {
			t.Logf("%d rounds of %d concurrent builds in %s", round, loadBuilds, time.Since(started).Round(time.Millisecond))
			break
		}
	}
	close(done)
	mon.Wait()

	peakMB := float64(peakKB.Load()) / 1024
	bound := loadRSSBoundMB()
	t.Logf("answers %v; RSS idle %.0f MB, peak %.0f MB (bound %.0f MB); /health %d polls, slowest %s",
		counts, float64(idleKB)/1024, peakMB, bound, healthN.Load(), time.Duration(healthMaxNS.Load()).Round(time.Millisecond))
	if counts[200] == 0 {
		t.Errorf("no build completed: %v", counts)
	}
	if peakMB > bound {
		t.Errorf("peak RSS %.0f MB over the %.0f MB bound", peakMB, bound)
	}
	if healthN.Load() < 5 || healthBad.Load() > 0 {
		t.Errorf("/health: %d polls, %d slow or failed", healthN.Load(), healthBad.Load())
	}
}
