package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// uiDemoRange is a short demo market (one quarter, options throughout) so the
// browser test builds, trains and sweeps in seconds.
const uiDemoRange = "2024-10-01:2024-12-31"

// uiAdminToken is the built-in admin credential the test server starts with
// (ADMIN_TOKEN); servers without the admin surface ignore it.
const uiAdminToken = "ui-test-admin-token-0123456789abcdef"

// firstPaintBudget is the longest a page may take from navigation start to its
// content on screen, on demo data from a warm server.
const firstPaintBudget = 300 * time.Millisecond

// chromiumPath finds the browser; the test fails (not skips) without it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("SIGMA_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found (install the Debian package chromium, or set SIGMA_CHROMIUM): the UI tests need a real browser")
	return ""
}

// browser is one headless Chromium tab with the console watched.
type browser struct {
	t      *testing.T
	ctx    context.Context
	base   string
	shots  string
	n      int
	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	exec := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exec),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "chromium-profile")),
		chromedp.WindowSize(1366, 900), // a laptop screen
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 360*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	b := &browser{t: t, ctx: ctx, base: base, shots: t.TempDir()}
	chromedp.ListenTarget(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError || e.Type == runtime.APITypeAssert {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				b.errors = append(b.errors, "console."+string(e.Type)+": "+strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			msg := e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
			b.errors = append(b.errors, "exception: "+msg)
		case *cdplog.EventEntryAdded:
			// Network answers with 4xx are the API speaking (a 422 shown at
			// the field); everything else logged as an error fails the test
			// (CSP violations, failed module loads, JS errors).
			if e.Entry.Level == cdplog.LevelError && e.Entry.Source != cdplog.SourceNetwork {
				b.errors = append(b.errors, "log."+string(e.Entry.Source)+": "+e.Entry.Text+" "+e.Entry.URL)
			}
			if e.Entry.Level == cdplog.LevelError && e.Entry.Source == cdplog.SourceNetwork && strings.Contains(e.Entry.Text, "status of 5") {
				b.errors = append(b.errors, "server error: "+e.Entry.Text+" "+e.Entry.URL)
			}
		}
	})
	if err := chromedp.Run(ctx, cdplog.Enable(), runtime.Enable()); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return b
}

// run performs actions, failing the test with the step name on error.
func (b *browser) run(step string, actions ...chromedp.Action) {
	b.t.Helper()
	if err := chromedp.Run(b.ctx, actions...); err != nil {
		b.shot(step + "-failed")
		b.t.Fatalf("%s: %v (console errors: %v)", step, err, b.consoleErrors())
	}
}

func (b *browser) consoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// open loads a page fresh (through about:blank, so the whole UI loads again)
// and waits for it to be ready.
func (b *browser) open(hash, page string) {
	b.t.Helper()
	b.run("open "+hash, chromedp.Navigate("about:blank"), chromedp.Navigate(b.base+"/ui/"+hash),
		chromedp.WaitVisible(`body[data-ready="`+page+`"]`, chromedp.ByQuery))
}

// firstPaint loads a page fresh and returns the time from navigation start
// to its content on screen (data fetched and drawn), as the page records it.
func (b *browser) firstPaint(hash, page string) float64 {
	b.t.Helper()
	b.open(hash, page)
	var ms float64
	b.run("paint "+hash, chromedp.Evaluate(`(() => { const p = window.__sl.paints; return p[p.length-1].ms; })()`, &ms))
	if os.Getenv("SIGMA_UI_TIMING") != "" {
		var res string
		b.run("timing", chromedp.Evaluate(`performance.getEntriesByType('resource').map(e => e.name.replace(location.origin, '') + ' ' + e.startTime.toFixed(0) + '+' + e.duration.toFixed(0)).join('\n')`, &res))
		b.t.Logf("%s: %.0f ms\n%s", hash, ms, res)
	}
	return ms
}

// waitReady waits for a page reached by a click (no full load).
func (b *browser) waitReady(page string) {
	b.t.Helper()
	b.run("ready "+page, chromedp.WaitVisible(`body[data-ready="`+page+`"]`, chromedp.ByQuery))
}

// shot saves a full-page screenshot under the test's temp dir.
func (b *browser) shot(name string) {
	b.n++
	var buf []byte
	// The whole page: the window grows to the page's height, then it is
	// captured once the page has been laid out again at that size.
	var height int64
	full := chromedp.Tasks{
		chromedp.Evaluate(`Math.min(6000, document.documentElement.scrollHeight)`, &height),
		chromedp.ActionFunc(func(ctx context.Context) error {
			return emulation.SetDeviceMetricsOverride(1366, max(height, 900), 1, false).Do(ctx)
		}),
		chromedp.Sleep(150 * time.Millisecond),
		chromedp.CaptureScreenshot(&buf),
		emulation.ClearDeviceMetricsOverride(),
	}
	if err := chromedp.Run(b.ctx, full); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	p := filepath.Join(b.shots, fmt.Sprintf("%02d-%s.png", b.n, name))
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
	if dir := os.Getenv("SIGMA_UI_SHOTS"); dir != "" { // keep them for a human to look at
		_ = os.MkdirAll(dir, 0o755)
		_ = os.WriteFile(filepath.Join(dir, filepath.Base(p)), buf, 0o644)
	}
}

// check ends a step: no console error so far, then a screenshot.
func (b *browser) check(step string) {
	b.t.Helper()
	if errs := b.consoleErrors(); len(errs) > 0 {
		b.shot(step + "-console")
		b.t.Fatalf("%s: browser console errors: %s", step, strings.Join(errs, "\n"))
	}
	b.shot(step)
}

// count returns the number of elements matching a CSS selector.
func (b *browser) count(sel string) int {
	b.t.Helper()
	var n int
	b.run("count "+sel, chromedp.Evaluate(fmt.Sprintf(`document.querySelectorAll(%q).length`, sel), &n))
	return n
}

// text returns the text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	var s string
	b.run("text "+sel, chromedp.Text(sel, &s, chromedp.ByQuery))
	return s
}

func (b *browser) wantCount(step, sel string, min int) int {
	b.t.Helper()
	n := b.count(sel)
	if n < min {
		b.shot(step + "-count")
		b.t.Fatalf("%s: %d elements match %q, want at least %d", step, n, sel, min)
	}
	return n
}

func (b *browser) wantText(step, sel string, frags ...string) {
	b.t.Helper()
	got := b.text(sel)
	for _, f := range frags {
		if !strings.Contains(got, f) {
			b.shot(step + "-text")
			b.t.Fatalf("%s: %q does not contain %q", step, sel, f)
		}
	}
}

// setValue sets an input's value (clearing what was there).
func setValue(sel, v string) chromedp.Action {
	return chromedp.SetValue(sel, v, chromedp.ByQuery)
}

// routesOf lists "METHOD path" of the server's routes (GET /).
func routesOf(t *testing.T, base string) map[string]bool {
	t.Helper()
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var idx struct {
		Routes []struct{ Method, Path string }
	}
	if err := json.Unmarshal(body, &idx); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range idx.Routes {
		out[r.Method+" "+r.Path] = true
	}
	return out
}

// TestUIResearchFlow drives the web UI in headless Chromium against the built
// binary on a temp data dir with a short demo market: create a model from a
// template, build, train, backtest twice, see the equity curve and the runs on
// the leaderboard, compare them, sweep and see the heatmap, search a card;
// signals, overlays and admin where the server has them. Every step asserts on
// the page, fails on any console error and saves a screenshot.
func TestUIResearchFlow(t *testing.T) {
	bin := binary(t)
	t.Setenv("ADMIN_TOKEN", uiAdminToken)
	s := start(t, bin, filepath.Join(t.TempDir(), "data"), "--demo-range", uiDemoRange)
	defer s.stop(t)
	routes := routesOf(t, s.base)
	b := newBrowser(t, s.base)
	const model = "spy_opt_0dte_hourly_ui"

	// Dashboard: health and coverage (demo data).
	b.open("#/", "dashboard")
	b.wantText("dashboard", "#health", "ok", "db")
	b.wantText("dashboard", "#coverage", "SPY", "demo")
	b.check("dashboard")

	// Models: create from a template.
	b.open("#/models", "models")
	b.run("create model",
		chromedp.SetValue(`#create-model select[name=template]`, "zerosigma/gbm_0dte", chromedp.ByQuery),
		setValue(`#create-model input[name=ticker]`, "SPY"), setValue(`#create-model input[name=variant]`, "ui"),
		chromedp.Click(`#create-btn`, chromedp.ByQuery), chromedp.WaitVisible(`#created`, chromedp.ByQuery))
	b.wantText("create model", "#created", model)
	b.check("models-created")

	// Model page: an invalid value gets the API's message at its field.
	b.open("#/models/"+model, "models")
	b.run("invalid config",
		setValue(`#config-editor input[name="hyperparams.max_depth"]`, "-3"),
		chromedp.Click(`#config-editor button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#config-editor input[name="hyperparams.max_depth"].invalid`, chromedp.ByQuery))
	var fieldMsg string
	b.run("field message", chromedp.Evaluate(`document.querySelector('#config-editor input[name="hyperparams.max_depth"]').nextElementSibling.textContent`, &fieldMsg))
	if !strings.Contains(fieldMsg, "max_depth") {
		t.Fatalf("validation message at max_depth: %q", fieldMsg)
	}
	b.wantText("explain", "#explain", "slippage")
	b.check("model-validation")

	// Composer: build → train → backtest (twice, to compare) → sweep.
	b.open("#/composer?model="+model, "composer")
	step := func(name, doneSel string) {
		b.run("composer "+name, chromedp.Click(`#run-`+name, chromedp.ByQuery),
			chromedp.WaitVisible(`#step-`+name+`.done `+doneSel, chromedp.ByQuery))
	}
	step("build", ".done-build")
	b.run("train params", setValue(`input[name=n_estimators]`, "40"))
	step("train", ".done-train")
	b.run("backtest a", setValue(`input[name=tag]`, "ui-a"))
	step("backtest", "#open-run")
	b.wantText("backtest a", "#step-backtest", "Sharpe", "run #1")
	b.run("backtest b", setValue(`input[name=thresholds]`, "0.5,0.55"), setValue(`input[name=tag]`, "ui-b"))
	step("backtest", `a[href="#/backtests/2"]`)
	b.run("sweep guardrail", setValue(`input[name=min_trades]`, "40"))
	step("sweep", "#open-sweep")
	b.check("composer")

	// Backtest detail: equity with fold boundaries, drawdown, folds, lineage.
	b.open("#/backtests/1", "backtest")
	b.wantCount("equity", "svg.equity-chart path.series", 1)
	if n := b.count("svg.equity-chart .boundary-label"); n != 3 {
		t.Fatalf("equity chart: %d fold labels, want 3", n)
	}
	b.wantCount("drawdown", "svg.drawdown-chart path.series", 1)
	if n := b.count("#folds tbody tr"); n != 3 {
		t.Fatalf("fold table: %d rows, want 3", n)
	}
	b.wantCount("thresholds", "#thresholds tbody tr", 3)
	// Bars, or the page saying there are none: the regularised default
	// learner (early stopping on a validation tail) may keep no tree on this
	// short demo, and the card must say so rather than draw an empty chart.
	if b.count("#importance rect.bar") == 0 {
		b.wantText("importance", "#importance", "No training with feature importance")
	}
	b.wantText("lineage", "#lineage", "matrix_sha", "demo")
	b.wantCount("downloads", "#downloads a", 3)
	var plotW int
	b.run("server plot", chromedp.WaitReady(`#server-plot`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector('#server-plot').complete && document.querySelector('#server-plot').naturalWidth`, &plotW, chromedp.WithPollingTimeout(10*time.Second)))
	b.run("calibrate", chromedp.Click(`#calibrate-btn`, chromedp.ByQuery),
		chromedp.WaitVisible(`#calibration svg path.series`, chromedp.ByQuery))
	b.wantCount("reliability", "#calibration svg path.series", 2) // the diagonal and at least one class
	b.check("backtest-detail")

	// Leaderboard: both runs and the sweep cells; sort; select two; compare.
	b.open("#/leaderboard?model_id="+model, "leaderboard")
	rows := b.wantCount("leaderboard", "table.leaderboard tbody tr", 3)
	b.run("sort by trades", chromedp.Click(`//th[normalize-space(.)="trades"]`, chromedp.BySearch),
		chromedp.WaitVisible(`//th[contains(., "trades ▼")]`, chromedp.BySearch))
	if n := b.count("table.leaderboard tbody tr"); n != rows {
		t.Fatalf("sorting changed the row count: %d → %d", rows, n)
	}
	b.run("sort by run back", chromedp.Click(`//th[normalize-space(.)="Sharpe/period"]`, chromedp.BySearch))
	b.waitReady("leaderboard")
	b.check("leaderboard")
	b.run("select two", chromedp.Click(`table.leaderboard tbody tr:nth-child(1) input.pick`, chromedp.ByQuery),
		chromedp.Click(`table.leaderboard tbody tr:nth-child(2) input.pick`, chromedp.ByQuery),
		chromedp.Click(`#compare-btn`, chromedp.ByQuery))
	b.waitReady("compare")
	b.run("compare ready", chromedp.WaitVisible(`#compare-equity svg`, chromedp.ByQuery))
	if n := b.count("#compare-equity path.series"); n != 2 {
		t.Fatalf("compare: %d equity curves, want 2", n)
	}
	if n := b.count("#compare-metrics tbody tr"); n != 11 {
		t.Fatalf("compare: %d metric rows, want 11", n)
	}
	b.wantCount("params diff", "#compare-params tbody tr", 1)
	b.check("compare")
	b.open("#/compare?ids=1,2", "compare")
	b.wantText("compare params", "#compare-params", "thresholds")

	// Sweep: 2 threshold variants × 3 hour variants = 6 cells in table and heatmap.
	b.open("#/sweeps/1", "sweeps")
	if n := b.count("#heatmap svg g.cell"); n != 6 {
		t.Fatalf("heatmap: %d cells, want 6", n)
	}
	if n := b.count("#sweep-results tbody tr"); n != 6 {
		t.Fatalf("sweep table: %d rows, want 6", n)
	}
	b.wantText("heatmap", "#heatmap", "allowed hours", "10,11,12", "all hours")
	failed := b.count("#heatmap svg g.cell.failed")
	if fails := b.count(`#sweep-results .badge.fail`); failed == 0 || failed != fails {
		t.Fatalf("heatmap marks %d failed cells, the table %d (min_trades 40 fails some on this market)", failed, fails)
	}
	b.check("sweep-heatmap")

	// Model cards: full-text search, then one card rendered.
	b.open("#/cards", "cards")
	b.run("card search", setValue(`#card-q`, "event:backtest AND model_id:"+model), chromedp.Click(`#card-search`, chromedp.ByQuery))
	b.run("card results", chromedp.WaitVisible(`//p[@id="card-total" and contains(., "match")]`, chromedp.BySearch))
	b.wantCount("card search", "table.cards-table tbody tr", 2)
	b.wantText("card search", "#card-total", "cards match")
	b.check("cards-search")
	b.run("open card", chromedp.Click(`table.cards-table a.card-link`, chromedp.ByQuery), chromedp.WaitVisible(`#card-view`, chromedp.ByQuery))
	b.wantText("card view", "#card-view", "Model card", model)
	b.wantCount("card view", "#card-view h2, #card-view h3", 2)
	b.check("card-view")

	// Signals and overlays.
	b.open("#/signals?model_id="+model, "signals")
	if routes["POST /signals/generate"] {
		b.run("generate", chromedp.Click(`#generate-btn`, chromedp.ByQuery))
		b.waitReady("signals")
		b.run("signals listed", chromedp.WaitVisible(`table.signals-table`, chromedp.ByQuery))
		b.wantCount("signals", "table.signals-table tbody tr", 1)
		if routes["POST /options_overlay"] {
			var date string
			b.run("signal date", chromedp.Text(`table.signals-table tbody tr td`, &date, chromedp.ByQuery))
			b.run("overlay", setValue(`input[name=date]`, strings.TrimSpace(date)), chromedp.Click(`#overlay-btn`, chromedp.ByQuery))
			b.waitReady("signals")
			b.run("overlay shown", chromedp.WaitVisible(`#overlays table`, chromedp.ByQuery))
			b.wantCount("overlay", "table.signals-table .overlay", 1)
		}
	} else {
		b.wantText("signals unavailable", "#signals-unavailable", "not available")
	}
	b.check("signals")

	// Admin: sign in with the token, rotate a user's token.
	if routes["GET /admin/users"] {
		b.open("#/", "dashboard")
		b.run("sign in", chromedp.Click(`#token-btn`, chromedp.ByQuery), chromedp.WaitVisible(`#token-input`, chromedp.ByQuery),
			setValue(`#token-input`, uiAdminToken), chromedp.Click(`#token-save`, chromedp.ByQuery),
			chromedp.WaitVisible(`#nav-admin`, chromedp.ByQuery), chromedp.Click(`#nav-admin`, chromedp.ByQuery))
		b.waitReady("admin")
		if routes["POST /admin/users"] {
			b.run("create user", setValue(`#create-user input[name=user_id]`, "uiuser"),
				chromedp.Click(`#create-user-btn`, chromedp.ByQuery), chromedp.WaitVisible(`#token-once`, chromedp.ByQuery))
		}
		b.wantCount("admin users", "table.users-table tbody tr", 1)
		var before string
		b.run("token before", chromedp.Evaluate(`(document.querySelector('#token-once') || {}).textContent || ''`, &before))
		var changed bool
		b.run("rotate", chromedp.Evaluate(`window.confirm = () => true`, nil),
			chromedp.Click(`button.rotate`, chromedp.ByQuery),
			chromedp.Poll(fmt.Sprintf(`(() => { const e = document.querySelector('#token-once'); return !!e && e.textContent !== %q; })()`, before), &changed, chromedp.WithPollingTimeout(20*time.Second)))
		tok := strings.TrimSpace(b.text("#token-once"))
		if len(tok) < 16 || strings.Contains(tok, "{") {
			t.Fatalf("rotated token shown: %q", tok)
		}
		b.check("admin-rotate")
	} else {
		b.open("#/admin", "admin")
		b.wantText("admin unavailable", "#admin-unavailable", "not available")
		if n := b.count("#nav-admin:not([hidden])"); n != 0 {
			t.Fatal("Admin link shown without an admin surface")
		}
		b.check("admin-unavailable")
	}

	// The dashboard again: recent runs listed.
	b.open("#/", "dashboard")
	b.wantCount("recent runs", "#recent tbody tr", 2)
	b.check("dashboard-runs")

	var slow []string
	// Each page's first paint: fresh loads on a warm server after one warm-up
	// load (the browser's own start-up is not counted); the median of three,
	// since the test machine is shared and one load can be descheduled.
	for _, p := range []struct{ hash, page string }{
		{"#/", "dashboard"}, {"#/models", "models"}, {"#/models/" + model, "models"}, {"#/composer?model=" + model, "composer"},
		{"#/backtests/1", "backtest"}, {"#/leaderboard", "leaderboard"}, {"#/compare?ids=1,2", "compare"}, {"#/sweeps", "sweeps"},
		{"#/sweeps/1", "sweeps"}, {"#/cards?q=event:backtest", "cards"}, {"#/signals", "signals"}, {"#/admin", "admin"},
	} {
		b.open(p.hash, p.page)
		runs := []float64{b.firstPaint(p.hash, p.page), b.firstPaint(p.hash, p.page), b.firstPaint(p.hash, p.page)}
		slices.Sort(runs)
		ms := runs[1]
		t.Logf("first paint %-44s median %6.1f ms (%.0f, %.0f, %.0f)", p.hash, ms, runs[0], runs[1], runs[2])
		if time.Duration(ms*float64(time.Millisecond)) > firstPaintBudget {
			slow = append(slow, fmt.Sprintf("%s %.0f ms", p.hash, ms))
		}
	}
	if len(slow) > 0 {
		// Timing is reported, and fails the test only when asked
		// (SIGMA_UI_STRICT_PAINT=1 on a quiet machine): on a shared machine a
		// page load measures the scheduler as much as the page.
		load, _ := loadPerCore()
		if os.Getenv("SIGMA_UI_STRICT_PAINT") != "" {
			t.Errorf("first paint over %v: %s (load average %.1f per core)", firstPaintBudget, strings.Join(slow, ", "), load)
		} else {
			t.Logf("first paint over %v for %s (load average %.1f per core; SIGMA_UI_STRICT_PAINT=1 fails on it)",
				firstPaintBudget, strings.Join(slow, ", "), load)
		}
	}
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Fatalf("browser console errors: %s", strings.Join(errs, "\n"))
	}
	t.Logf("screenshots in %s", b.shots)
}

// loadPerCore is the 1-minute load average divided by the number of CPUs.
func loadPerCore() (float64, bool) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, false
	}
	var l float64
	if _, err := fmt.Sscan(string(b), &l); err != nil {
		return 0, false
	}
	return l / float64(goruntime.NumCPU()), true
}
