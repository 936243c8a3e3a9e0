package httpapi

import (
	"testing"

	"sigmalab/engine"
)

// FuzzBacktestBody: any body decodes to a validated request or an error,
// never a panic, and an accepted request has sane trading parameters.
func FuzzBacktestBody(f *testing.F) {
	for _, s := range []string{
		`{"model_id":"m","thresholds":"0.55,0.6","allowed_hours":"13,14","top_pct":0.1}`,
		`{"model_id":"m","thresholds":[0.5],"top_pct":"","calibration":"isotonic","per_hour_select_by":"trades"}`,
		`{"model_id":"m","top_pct":false,"splits":-3,"embargo":2}`,
		`{"model_id":"m","train_hours":[25],"slippage_bps":1e308}`,
		`{"model_id":"","tag":null,"save":false}`,
		`[]`, `{"top_pct":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b engine.BacktestRequest
		if err := DecodeJSONBytes(data, &b); err != nil {
			return
		}
		req, err := b.Normalize()
		if err != nil {
			return
		}
		if req.ModelID == "" || req.Splits < 1 || req.Embargo < 0 || req.Embargo >= 1 || req.Save == nil || req.Calibration == nil {
			t.Fatalf("accepted a bad request: %+v", req)
		}
		if req.TopPct != nil && (*req.TopPct <= 0 || *req.TopPct > 1) {
			t.Fatalf("top_pct %v accepted", *req.TopPct)
		}
	})
}
