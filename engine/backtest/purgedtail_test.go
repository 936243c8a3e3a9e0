package backtest

import (
	"testing"

	"sigmalab/engine/gbdt"
)

// The early-stopping tail of a fold is its last ValidFraction of training
// rows; rows before it whose label ends after the tail starts are purged.
func TestPurgedTail(t *testing.T) {
	n := 100
	rows := make([]int, n)
	t0, t1, y := make([]int64, n), make([]int64, n), make([]int, n)
	for i := range rows {
		rows[i], t0[i], t1[i], y[i] = i, int64(i*10), int64(i*10+35), i%2 // labels span 3.5 rows
	}
	p := gbdt.DefaultParams()
	p.EarlyStopping, p.ValidFraction = 10, 0.2
	fit, valid := PurgedTail(rows, t0, t1, y, p)
	if len(valid) != 20 || valid[0] != 80 {
		t.Fatalf("valid %v", valid)
	}
	// Rows 77..79 end at 805..825 ≥ 800 (row 80's start): purged; 76 ends at 795.
	if len(fit) != 77 || fit[len(fit)-1] != 76 {
		t.Fatalf("fit ends at %d with %d rows, want 76 and 77", fit[len(fit)-1], len(fit))
	}
	p.EarlyStopping = 0
	if f, v := PurgedTail(rows, t0, t1, y, p); len(f) != n || v != nil {
		t.Fatal("early stopping off must leave the rows alone")
	}
}
