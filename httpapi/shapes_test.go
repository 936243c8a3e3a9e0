package httpapi_test

import (
	"testing"

	"sigmalab/httpapi/apitest"
)

// TestResponseShapes: the keys the API defines (endpoint map, and the
// predecessor's contract tests) next to the ones clients already read.
func TestResponseShapes(t *testing.T) {
	env := apitest.New(t)
	env.Run(t, []apitest.Scenario{
		{Name: "health carries the version", URL: "/health", Contains: []string{`"ok":true`, `"version":"test"`}},
		{Name: "indicators status", URL: "/indicators/status",
			Contains: []string{`"status":{`, `"ready":true`, `"count":80`, `"load_errors":[]`}},
		// The predecessor's contract tests (test_contract_*) whose routes exist.
		{Name: "contract: indicators", URL: "/indicators", Contains: []string{`"ok":true`, `"indicators":[`}},
		{Name: "contract: leaderboard", URL: "/leaderboard?limit=2&offset=0", Contains: []string{`"ok":true`, `"rows":[]`}},
		// test_contract_model_cards_list_shape
		{Name: "model cards list", URL: "/model_cards?pack_id=zerosigma&model_id=nonexistent_model&limit=3&offset=0",
			Contains: []string{`"ok":true`, `"cards":[]`, `"limit":3`, `"offset":0`, `"next_offset":null`}},
		{Name: "model card unknown", URL: "/model_card?id=nope", Status: 404, Contains: []string{`"code":"not_found"`}},
		{Name: "no cards for a model says it once", URL: "/model_card?model_id=nobody", Status: 404,
			Contains: []string{`"error":"no model cards found"`}},
		// Runs a kill left running come back interrupted, and can be listed so.
		{Name: "interrupted builds", URL: "/build_runs?status=interrupted", Contains: []string{`"ok":true`}},
		{Name: "interrupted trainings", URL: "/training_runs?status=interrupted", Contains: []string{`"ok":true`}},
	})
}
