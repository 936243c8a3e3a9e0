package market

import (
	"testing"
	"time"
)

func TestMonthlyExpiry(t *testing.T) {
	cases := map[string]string{
		"2024-10-31": "2024-11-15",
		"2024-11-15": "2024-11-15",
		"2024-11-16": "2024-12-20",
		"2024-12-21": "2025-01-17",
		"2025-04-01": "2025-04-17", // the third Friday is Good Friday
	}
	for in, want := range cases {
		d, _ := time.Parse(time.DateOnly, in)
		if got := monthlyExpiry(d); got != want {
			t.Errorf("monthlyExpiry(%s) = %s, want %s", in, got, want)
		}
	}
	// Every snapshot quotes an expiry at least 30 days out (iv_term_slope's days_fwd).
	tk := DemoTicker{Ticker: "SPY", Daily0DTE: true}
	for _, date := range []string{"2024-10-01", "2024-12-31", "2024-07-03"} {
		d, _ := time.Parse(time.DateOnly, date)
		far := d.AddDate(0, 0, 30).Format(DateLayout)
		exps := chainExpiries(tk, date, true)
		if last := exps[len(exps)-1]; last < far {
			t.Errorf("%s: expiries %v, none on or after %s", date, exps, far)
		}
	}
}
