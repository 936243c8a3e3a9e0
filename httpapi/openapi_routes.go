package httpapi

import (
	"encoding/json"
	"reflect"

	"sigmalab/engine"
	"sigmalab/engine/jobs"
)

// RouteDoc documents one route beyond what its registration says (method,
// pattern, summary; path parameters come from the pattern). A route without
// an entry still appears in the OpenAPI document, from the route table alone.
type RouteDoc struct {
	// Tag groups the route in the docs; "" takes the first path segment.
	Tag string
	// Body is the request body type (the engine request type the handler and
	// the CLI's --body decode), nil for none; Example is a body that decodes
	// into it (checked by a test).
	Body    reflect.Type
	Example json.RawMessage
	// Query are the query parameters the handler reads.
	Query []Param
	// Response is the type merged into {"ok":true,…} on success; nil: the bare
	// envelope. RawType is the content type of a route that answers bytes
	// (files, metrics, this document) instead of the envelope.
	Response reflect.Type
	RawType  string
	// Async marks routes that answer 202 {job_id} for "async": true.
	Async bool
}

// Param is one query parameter.
type Param struct {
	Name        string
	Type        string // string|integer|number|boolean
	Description string
	Enum        []string
}

func typ[T any]() reflect.Type { return reflect.TypeFor[T]() }

func qs(name, desc string) Param { return Param{Name: name, Type: "string", Description: desc} }
func qi(name, desc string) Param { return Param{Name: name, Type: "integer", Description: desc} }
func qb(name, desc string) Param { return Param{Name: name, Type: "boolean", Description: desc} }
func qn(name, desc string) Param { return Param{Name: name, Type: "number", Description: desc} }
func qe(name, desc string, values ...string) Param {
	return Param{Name: name, Type: "string", Description: desc, Enum: values}
}

// page are the pagination parameters every list takes (SPEC §6).
func page(defaultLimit string, more ...Param) []Param {
	return append(more,
		qi("limit", "rows per page, 1..500 (default "+defaultLimit+")"),
		qi("offset", "rows to skip (default 0)"))
}

var (
	pPack  = qs("pack_id", "pack id, e.g. zerosigma")
	pModel = qs("model_id", "model id, e.g. spy_opt_0dte_hourly_demo")
	pTag   = qs("tag", "run tag")
)

// routeDocs documents routes by "METHOD /pattern".
var routeDocs = map[string]RouteDoc{
	"GET /metrics":      {Tag: "operations", RawType: "text/plain; version=0.0.4; charset=utf-8"},
	"GET /openapi.json": {Tag: "operations", RawType: "application/json"},
	"GET /docs":         {Tag: "operations", RawType: "text/html; charset=utf-8"},
	"GET /docs/:file":   {Tag: "operations", RawType: "text/javascript or text/css"},
	"GET /":             {Tag: "health", Response: typ[map[string]any]()},
	"GET /health":       {Tag: "health"},
	"GET /healthz":      {Tag: "health", Response: typ[engine.HealthReport]()},

	"POST /models": {Body: typ[engine.CreateModelRequest](), Response: typ[engine.CreateModelResult](),
		Example: json.RawMessage(`{"ticker":"SPY","pack_id":"zerosigma","variant":"demo"}`)},
	"GET /models":           {Query: page("50", pPack)},
	"GET /models/:model_id": {Query: []Param{pPack}, Response: typ[engine.ModelRecord]()},
	"GET /model_config":     {Tag: "models", Query: []Param{pModel, pPack}, Response: typ[engine.ModelRecord]()},
	"GET /policy":           {Query: []Param{pModel, pPack}, Response: typ[engine.PolicyRecord]()},
	"GET /policy/explain":   {Tag: "policy", Query: []Param{pModel, pPack}, Response: typ[engine.PolicyExplanation]()},
	"GET /validate_policy":  {Tag: "policy", Query: []Param{pModel, pPack}, Response: typ[engine.PolicyExplanation]()},

	"GET /jobs": {Query: page("50", qs("kind", "job kind, e.g. train"),
		qe("status", "job status", "queued", "running", "completed", "failed", "cancelled", "interrupted"),
		qb("include_result", "include each job's result"))},
	"GET /jobs/:id":         {Response: typ[jobs.Job]()},
	"POST /jobs/:id/cancel": {Tag: "jobs", Response: typ[jobs.Job]()},
	"POST /jobs/:id/retry":  {Tag: "jobs", Response: typ[jobs.Job]()},
	"POST /data/import":     {Body: typ[engine.ImportRequest](), Async: true, Example: json.RawMessage(`{"path":"exports/SPY_hour_2024-07-01_2024-07-03.json","async":true}`)},
	"GET /data/coverage":    {Query: page("500", qs("ticker", "ticker, e.g. SPY"), qs("kind", "bars|option_bars|chains"))},
	"GET /options/expirations": {Tag: "data", Query: page("100", qs("ticker", "underlying ticker"),
		qs("start", "YYYY-MM-DD (default: last date of stored option data)"), qi("weeks", "weeks ahead (default 12)"))},

	"POST /build_matrix": {Tag: "matrices", Body: typ[engine.BuildRequest](), Response: typ[engine.BuildResult](), Async: true,
		Example: json.RawMessage(`{"model_id":"spy_opt_0dte_hourly_demo","start":"2024-10-01","end":"2024-12-31"}`)},
	"POST /build_stock_matrix": {Tag: "matrices", Body: typ[engine.BuildRequest](), Response: typ[engine.BuildResult](), Async: true,
		Example: json.RawMessage(`{"model_id":"spy_eq_intraday_hourly","ticker":"SPY","start":"2024-01-02","end":"2024-06-28"}`)},
	"POST /preview_matrix": {Tag: "matrices", Body: typ[engine.BuildRequest](), Response: typ[engine.PreviewResult](),
		Example: json.RawMessage(`{"model_id":"spy_opt_0dte_hourly_demo","start":"2024-10-01","end":"2024-10-31","max_rows":50}`)},
	"GET /build_runs": {Tag: "matrices", Query: page("50", pPack, pModel, pTag,
		qe("status", "run status", engine.BuildRunning, engine.BuildCompleted, engine.BuildFailed, engine.BuildInterrupted),
		qs("start", "YYYY-MM-DD"), qs("end", "YYYY-MM-DD"))},
	"GET /build_runs/:id":               {Tag: "matrices", Response: typ[engine.BuildRun]()},
	"GET /matrices/:model_id":           {Query: page("50")},
	"GET /matrices/:model_id/:build_id": {Query: []Param{qe("format", "file format (default parquet)", "parquet", "csv", "json")}, RawType: "application/vnd.apache.parquet, text/csv or application/json"},

	"POST /train": {Body: typ[engine.TrainRequest](), Response: typ[engine.TrainResult](), Async: true,
		Example: json.RawMessage(`{"model_id":"spy_opt_0dte_hourly_demo"}`)},
	"GET /training_runs": {Tag: "train", Query: page("50", pPack, pModel, pTag,
		qe("status", "run status", engine.TrainRunning, engine.TrainCompleted, engine.TrainFailed, engine.TrainInterrupted),
		qs("start", "YYYY-MM-DD"), qs("end", "YYYY-MM-DD"))},
	"GET /training_runs/:id": {Tag: "train", Response: typ[engine.TrainingRun]()},
	"GET /artifacts/:id":     {Tag: "train", RawType: "application/octet-stream (model .json.zst) or application/json (card)"},

	"POST /backtest": {Body: typ[engine.BacktestRequest](), Response: typ[engine.BacktestResponse](), Async: true,
		Example: json.RawMessage(`{"model_id":"spy_opt_0dte_hourly_demo","splits":4,"thresholds":"0.45,0.5,0.55","save":true,"tag":"first"}`)},
	"GET /leaderboard": {Tag: "backtest", Query: page("20", pPack, pModel, pTag, qs("risk_profile", "conservative|balanced|aggressive"),
		qb("pass_gate", "only runs that pass (true) or fail (false) the gate"), qn("min_dsr", "minimum deflated Sharpe ratio, 0..1"),
		qe("order_by", "sort key (default sharpe_hourly)", engine.OrderSharpe, engine.OrderCumRet, engine.OrderDSR, engine.OrderCreatedAt))},
	"GET /backtests/:run_id": {Tag: "backtest"},
	"POST /calibrate_thresholds": {Tag: "backtest", Body: typ[engine.CalibrateThresholdsRequest](), Response: typ[engine.CalibrateThresholdsResponse](),
		Example: json.RawMessage(`{"model_id":"spy_opt_0dte_hourly_demo","splits":4,"method":"isotonic"}`)},
	"POST /calibrate_brackets": {Tag: "backtest", Body: typ[engine.CalibrateBracketsRequest](), Response: typ[engine.CalibrateBracketsResponse](),
		Example: json.RawMessage(`{"model_id":"spy_opt_0dte_hourly_demo","splits":4}`)},
	"POST /backtest_sweep": {Tag: "sweeps", Body: typ[engine.SweepRequest](), Response: typ[engine.SweepResponse](), Async: true,
		Example: json.RawMessage(`{"model_id":"spy_opt_0dte_hourly_demo","splits":4,"thresholds_variants":["0.45,0.5","0.55,0.6"],` +
			`"allowed_hours_variants":["10,11,12",""],"top_pct_variants":[0.1,0.2],"min_trades":5}`)},
	"GET /sweeps": {Query: page("50", pPack, pModel, pTag, qs("status", "sweep status"))},

	"GET /indicators":      {Query: page("500", qb("group", "group names by category/subcategory"))},
	"GET /model_cards":     {Tag: "cards", Query: page("20", pPack, pModel, qs("q", "full-text query"))},
	"GET /model_card":      {Tag: "cards", Query: []Param{qs("id", "card id"), pPack, pModel}},
	"GET /packs":           {Query: page("50")},
	"GET /model_templates": {Tag: "packs", Query: page("50", qs("pack", "pack id"))},
	"PUT /model_config": {Tag: "models", Body: typ[PutModelConfigBody](),
		Example: json.RawMessage(`{"pack_id":"zerosigma","model_id":"spy_opt_0dte_hourly","config":{"ticker":"SPY","asset_type":"opt","horizon":"0dte","cadence":"hourly","algo":"gbm"}}`)},
	"PUT /indicator_set": {Tag: "models", Body: typ[PutIndicatorSetBody](),
		Example: json.RawMessage(`{"pack_id":"zerosigma","scope":"pack","name":"my_set","data":{"name":"my_set","indicators":[{"name":"rsi","period":14},{"name":"atr","period":14}]}}`)},
	"PUT /policy": {Tag: "policy", Body: typ[PutPolicyBody](),
		Example: json.RawMessage(`{"model_id":"spy_opt_0dte_hourly","pack_id":"zerosigma","policy":{"risk":{},"execution":{"slippage_bps":2},"alerting":{}}}`)},
	"PATCH /models/:model_id": {Tag: "models", Body: typ[PatchModelBody](),
		Example: json.RawMessage(`{"pack_id":"zerosigma","config":{"hyperparams":{"max_depth":3}}}`)},
	"GET /indicator_set": {Tag: "models", Query: []Param{pModel, qs("name", "indicator set name"), pPack}},
}
