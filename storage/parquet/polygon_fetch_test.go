package parquet

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"sigmalab/engine/market"
)

// TestPolygonFetchIntoStore: fetched bars replace the ticker's demo data in the store.
func TestPolygonFetchIntoStore(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"status":"OK","results":[{"t":1719820800000,"o":544.85,"h":545.48,"l":544.45,"c":544.63,"v":42429,"vw":544.9},{"t":1719824400000,"o":544.6,"h":544.9,"l":544.5,"c":544.7,"v":1000}]}`)
	}))
	defer srv.Close()
	c := market.NewPolygonClient("key")
	c.BaseURL, c.HTTP = srv.URL, srv.Client()
	c.Sleep = func(context.Context, time.Duration) error { return nil }
	ctx := context.Background()
	st := NewMarketStore(t.TempDir())
	cfg := market.DefaultDemoConfig(3)
	cfg.Start, cfg.End, cfg.OptionsFrom = "2024-07-01", "2024-07-03", "2024-07-03"
	if _, err := market.SeedDemo(ctx, st, cfg); err != nil {
		t.Fatal(err)
	}
	ws, err := c.FetchBars(ctx, st, "SPY", market.TF1h, "2024-07-01", "2024-07-01")
	if err != nil || ws.Added != 2 {
		t.Fatalf("%+v %v", ws, err)
	}
	cov, _ := st.Coverage(ctx)
	for _, e := range cov {
		if e.Ticker == "SPY" && (e.Source != market.SourcePolygon || e.Rows != 2) {
			t.Fatalf("SPY coverage %+v", e)
		}
	}
}
