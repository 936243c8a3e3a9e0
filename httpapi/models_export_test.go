package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"sigmalab/httpapi/apitest"
)

// TestModelExportPredict trains the model on a stored synthetic matrix, then
// exports it, scores JSON rows and the stored build (the probabilities must
// be the artifact's own), and checks the refusals and download headers.
func TestModelExportPredict(t *testing.T) {
	env := apitest.New(t)
	storeTrainMatrix(t, env, "b1", 700)
	code, out := env.JSON("POST", "/train", map[string]any{"model_id": trainModel, "hyperparams": map[string]any{"n_estimators": 30}})
	if code != 200 {
		t.Fatalf("train: %d %v", code, out)
	}
	runID := strconv.Itoa(int(out["training_run_id"].(float64)))
	tm, _, err := env.App.Lab.LoadTrainedModel(context.Background(), trainModel, 0)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := env.App.Lab.LoadMatrix(context.Background(), trainModel, "b1")
	if err != nil {
		t.Fatal(err)
	}
	want, err := tm.PredictMatrix(m)
	if err != nil {
		t.Fatal(err)
	}
	// Two rows of the matrix as {feature: value}; the second has a missing value.
	rows := []map[string]any{{}, {}}
	for _, f := range tm.Features {
		if c := m.Col(f); c != nil {
			rows[0][f], rows[1][f] = c[5], c[6]
		} else { // hour_et is a key column
			rows[0][f], rows[1][f] = m.HourET[5], m.HourET[6]
		}
	}
	rows[1][tm.Features[0]] = nil
	rows[0]["not_a_feature"] = 1
	env.Run(t, []apitest.Scenario{
		{Name: "export xgboost", URL: "/models/" + trainModel + "/export?format=xgboost",
			Contains: []string{`"objective":{"name":"multi:softprob"`, `"num_class":"3"`, `"calls_sold_d0"`}},
		{Name: "export by run", URL: "/models/" + trainModel + "/export?training_run_id=" + runID, Contains: []string{`"gbtree"`}},
		{Name: "export bad format", URL: "/models/" + trainModel + "/export?format=onnx", Status: 422,
			Contains: []string{`"loc":["query","format"]`}},
		{Name: "export unknown run", URL: "/models/" + trainModel + "/export?training_run_id=999", Status: 404},
		{Name: "export untrained", URL: "/models/spy_eq_intraday_hourly/export", Status: 404, Contains: []string{"POST /train"}},
		{Name: "export bad id", URL: "/models/Bad%20Id/export", Status: 422},
		{Name: "predict no input", Method: "POST", URL: "/models/" + trainModel + "/predict", Body: map[string]any{},
			Status: 422, Contains: []string{`"loc":["body","rows"]`}},
		{Name: "predict empty rows", Method: "POST", URL: "/models/" + trainModel + "/predict", Body: map[string]any{"rows": []any{}},
			Status: 422, Contains: []string{`"loc":["body","rows"]`}},
		{Name: "predict missing feature", Method: "POST", URL: "/models/" + trainModel + "/predict",
			Body: map[string]any{"rows": []any{map[string]any{"calls_sold_d0": 1}}}, Status: 422,
			Contains: []string{`"loc":["body","rows","0"]`, "missing features"}},
		{Name: "predict string value", Method: "POST", URL: "/models/" + trainModel + "/predict",
			Body: map[string]any{"rows": []any{map[string]any{"calls_sold_d0": "x"}}}, Status: 422},
		{Name: "predict both", Method: "POST", URL: "/models/" + trainModel + "/predict",
			Body: map[string]any{"rows": rows, "build_id": "b1"}, Status: 422, Contains: []string{`"loc":["body","build_id"]`}},
		{Name: "predict unknown build", Method: "POST", URL: "/models/" + trainModel + "/predict",
			Body: map[string]any{"build_id": "nope"}, Status: 404},
		{Name: "predict untrained", Method: "POST", URL: "/models/spy_eq_intraday_hourly/predict",
			Body: map[string]any{"build_id": "latest"}, Status: 404},
		{Name: "predict rows", Method: "POST", URL: "/models/" + trainModel + "/predict", Body: map[string]any{"rows": rows},
			Contains: []string{`"rows":2`, `"classes":["DOWN","FLAT","UP"]`, "not_a_feature"},
			Check: func(t *testing.T, b map[string]any) {
				p := b["proba"].(map[string]any)
				for k, c := range tm.Classes {
					got := p[c].([]any)[0].(float64)
					if math.Abs(got-want[k][5]) > 1e-12 {
						t.Errorf("class %s row 0: %v, artifact gives %v", c, got, want[k][5])
					}
				}
				s := 0.0
				for _, c := range tm.Classes {
					s += p[c].([]any)[1].(float64)
				}
				if math.Abs(s-1) > 1e-9 {
					t.Errorf("row with a missing value sums to %v", s)
				}
			}},
		{Name: "predict build", Method: "POST", URL: "/models/" + trainModel + "/predict", Body: map[string]any{"build_id": "latest"},
			Contains: []string{`"rows":700`, `"build_id":"b1"`, `"ts":[`},
			Check: func(t *testing.T, b map[string]any) {
				up := b["proba"].(map[string]any)["UP"].([]any)
				if len(up) != 700 || math.Abs(up[9].(float64)-want[2][9]) > 1e-12 {
					t.Errorf("UP[9] = %v, artifact gives %v", up[9], want[2][9])
				}
			}},
		{Name: "config algo xgboost refused", Method: "PATCH", URL: "/models/" + trainModel,
			Body: map[string]any{"config": map[string]any{"algo": "xgboost"}}, Status: 422,
			Contains: []string{`"algo"]`, "we train gbm", "/export?format=xgboost"}},
		{Name: "config model lightgbm refused", Method: "PATCH", URL: "/models/" + trainModel,
			Body: map[string]any{"config": map[string]any{"model": "lightgbm"}}, Status: 422,
			Contains: []string{`"model"]`, "not lightgbm"}},
	})

	// The export is a download: named, with validators that conditional and
	// range requests use.
	url := "/models/" + trainModel + "/export"
	resp, body := env.DoResponse("GET", url, nil, nil)
	cd, etag := resp.Header.Get("Content-Disposition"), resp.Header.Get("ETag")
	if !strings.HasPrefix(cd, "attachment; filename=") || !strings.Contains(cd, "xgboost.json") || etag == "" ||
		resp.Header.Get("Last-Modified") == "" {
		t.Fatalf("headers %v", resp.Header)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil || doc["learner"] == nil {
		t.Fatalf("export is not the XGBoost document: %v", err)
	}
	if r, _ := env.DoResponse("GET", url, nil, map[string]string{"If-None-Match": etag}); r.StatusCode != 304 {
		t.Fatalf("If-None-Match: %d", r.StatusCode)
	}
	r, part := env.DoResponse("GET", url, nil, map[string]string{"Range": "bytes=0-9"})
	if r.StatusCode != 206 || !bytes.Equal(part, body[:10]) || r.Header.Get("Content-Range") == "" {
		t.Fatalf("Range: %d %q %v", r.StatusCode, part, r.Header)
	}
	if r, b := env.DoResponse("HEAD", url, nil, nil); r.StatusCode != 200 || len(b) != 0 || r.Header.Get("ETag") != etag {
		t.Fatalf("HEAD: %d %d bytes %v", r.StatusCode, len(b), r.Header)
	}
	// JSON answers are gzipped for clients that ask.
	r, gz := env.DoResponse("GET", url, nil, map[string]string{"Accept-Encoding": "gzip"})
	if r.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", r.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := io.ReadAll(zr); err != nil || !bytes.Equal(plain, body) {
		t.Fatalf("gunzipped body differs: %v", err)
	}
	// Artifacts download under their file name.
	if r, _ := env.DoResponse("GET", "/artifacts/"+out["artifact_id"].(string), nil, nil); !strings.Contains(
		r.Header.Get("Content-Disposition"), ".json.zst") || r.Header.Get("ETag") == "" {
		t.Fatalf("artifact headers %v", r.Header)
	}
}
