package engine

import (
	"encoding/json"
	"testing"
)

// FuzzBuildRequest: any JSON body decodes and validates without panicking,
// and a request that passes validation has well-formed dates and ids.
func FuzzBuildRequest(f *testing.F) {
	f.Add(`{"model_id":"spy_opt_0dte_hourly","start":"2024-07-01","end":"2024-07-03","distance_max":5}`)
	f.Add(`{"model_id":"","start":"2024-13-01","end":"x","k_sigma":-1,"fixed_bp":1e309}`)
	f.Add(`{"ticker":"brk.b","label_kind":"fwd_ret_5d","cadence":"DAILY","session":"rth","max_rows":7}`)
	f.Fuzz(func(t *testing.T, body string) {
		var req BuildRequest
		if json.Unmarshal([]byte(body), &req) != nil {
			return
		}
		if err := validateBuild(&req, true); err != nil {
			return
		}
		if !ValidID(req.ModelID) {
			t.Fatalf("accepted model_id %q", req.ModelID)
		}
		s, ok1 := ParseDate(req.Start)
		e, ok2 := ParseDate(req.End)
		if !ok1 || !ok2 || e.Before(s) {
			t.Fatalf("accepted dates %q..%q", req.Start, req.End)
		}
		if _, pr := DecodeModelConfig(map[string]any{"labels": map[string]any{"kind": req.LabelKind}}); len(pr.Fields) > 0 && req.LabelKind != "" {
			t.Fatalf("accepted label_kind %q: %v", req.LabelKind, pr.Fields)
		}
	})
}
