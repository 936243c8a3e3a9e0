package engine

import (
	"math"
	"testing"
)

// TestCalibrateBracketsDefault is the predecessor's worked default example.
func TestCalibrateBracketsDefault(t *testing.T) {
	r, err := CalibrateBrackets(CalibrateBracketsRequest{ModelID: "m"})
	if err != nil {
		t.Fatal(err)
	}
	want := BracketRecommendation{AtrMultStop: 0.8, AtrMultTarget: 1.6, RRImplied: 2.0, TimeStopMinutes: 120}
	if r.Recommended != want {
		t.Fatalf("recommended %+v", r.Recommended)
	}
	exp := [][2]float64{{0.8, 1.6}, {1.0, 2.0}, {1.2, 2.4}, {1.4, 3.0}, {1.4, 2.4}, {1.2, 2.0}, {1.0, 1.6}, {1.0, 2.4}, {0.8, 2.0}, {1.2, 3.0}}
	if len(r.Candidates) != 10 {
		t.Fatalf("%d candidates", len(r.Candidates))
	}
	for i, c := range r.Candidates {
		if c.KStop != exp[i][0] || c.KTarget != exp[i][1] {
			t.Fatalf("candidate %d = %+v, want %v", i, c, exp[i])
		}
	}
	if math.Abs(r.Candidates[3].Delta-0.1428571428571428) > 1e-15 {
		t.Fatalf("delta %v", r.Candidates[3].Delta)
	}
	if _, err := CalibrateBrackets(CalibrateBracketsRequest{ModelID: "m", KStopGrid: []float64{0}}); err == nil {
		t.Fatal("k_stop 0 accepted")
	}
	r, _ = CalibrateBrackets(CalibrateBracketsRequest{ModelID: "m", TimeStopCandidates: []float64{100, 140, 60}})
	if r.Recommended.TimeStopMinutes != 100 {
		t.Fatalf("nearest 120 with a tie must be the first: %d", r.Recommended.TimeStopMinutes)
	}
}

func TestRecommendThreshold(t *testing.T) {
	vals := []float64{0.5, 0.52, 0.6, 0.61, 0.7, math.NaN()}
	counts, best := RecommendThreshold(vals, []float64{0.5, 0.55, 0.6, 0.65}, 2)
	if counts[0].Count != 5 || counts[1].Count != 3 || counts[2].Count != 3 || counts[3].Count != 1 {
		t.Fatalf("%+v", counts)
	}
	// |3−2| = |1−2|: the first in grid order (0.55) wins.
	if best != 1 {
		t.Fatalf("best %d", best)
	}
}
