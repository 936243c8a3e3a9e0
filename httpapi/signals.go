package httpapi

import (
	"mime"
	"net/http"
	"strings"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
	"sigmalab/engine/errs"
	"sigmalab/engine/signals"
)

func (s *Server) routesSignals() {
	s.POST("/signals/generate", "score the latest observable rows of a model's matrix (or a build for start/end) with its trained model: "+
		"threshold or top_n selection, ATR brackets, min_rr; upserts signals on (date, hour_et, model_id, ticker) with lineage (async:true → job)", s.generateSignals)
	s.POST("/scan", "rule-based breakout/momentum scanner over tickers on stored daily bars: scores, gates, brackets, ranks; stores the top_n as signals", s.scan)
	s.POST("/signals/import", "import an execution log (CSV body as text/csv, or {\"file\": name under exports/}); per-line errors; nothing stored on errors unless partial=true; idempotent", s.importExecutions)
	s.GET("/signals", "list signals newest first (model_id, pack_id, tickers, side, date or start/end inclusive, risk_profile, tag, source, q full-text, limit, offset)", s.listSignals)
	s.GET("/signals/summary", "live metrics of a model's signals and executions (model_id, risk_profile, start, end inclusive)", s.signalsSummary)
	s.GET("/signals/leaderboard", "models ranked by live sharpe (pack, risk_profile, start, end, limit, offset)", s.signalsLeaderboard)
	s.GET("/models/:model_id/performance", "a model's live metrics (start, end, risk_profile) and its best saved backtest", s.modelPerformance)
	s.routesOptionsOverlay()
}

func (s *Server) generateSignals(r *http.Request, _ httprouter.Params) (any, error) {
	var req engine.GenerateSignalsRequest
	if err := DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	req, err := req.Normalize()
	if err != nil {
		return nil, err
	}
	req.Owner = UserFrom(r.Context())
	if req.Async {
		return s.SubmitJob(r, engine.SignalsGenerateJobKind, req)
	}
	return s.Lab.GenerateSignals(r.Context(), req)
}

func (s *Server) scan(r *http.Request, _ httprouter.Params) (any, error) {
	var req engine.ScanRequest
	if err := DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	req.Owner = UserFrom(r.Context())
	return s.Lab.Scan(r.Context(), req)
}

// importBodyJSON is the JSON form of POST /signals/import.
type importBodyJSON struct {
	File    string `json:"file"`
	Partial bool   `json:"partial"`
}

func (s *Server) importExecutions(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	req := engine.ImportExecutionsRequest{Partial: q.Bool("partial", false), File: q.String("file", ""), Owner: UserFrom(r.Context())}
	if err := q.Err(); err != nil {
		return nil, err
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var b importBodyJSON
		if err := DecodeJSON(r, &b); err != nil {
			return nil, err
		}
		req.File, req.Partial = strings.TrimSpace(b.File), req.Partial || b.Partial
	case "text/csv":
		if req.File != "" {
			return nil, errs.Field("query", "file", "send a CSV body or name a file, not both")
		}
		req.Body = r.Body
	case "":
		if req.File == "" {
			return nil, errs.Field("header", "content-type", "send the execution log as text/csv, or {\"file\": …} as application/json")
		}
	default:
		return nil, errs.Field("header", "content-type", "unsupported content type "+ct+": use text/csv or application/json")
	}
	return s.Lab.ImportExecutions(r.Context(), req)
}

// signalFilter reads the filters GET /signals, /signals/summary,
// /signals/leaderboard and /option_signals share.
func signalFilter(q *Query) engine.SignalFilter {
	f := engine.SignalFilter{
		ModelID:     q.ID("model_id", "", false),
		PackID:      q.ID("pack_id", q.ID("pack", "", false), false),
		Side:        q.Enum("side", "", "buy", "sell"),
		RiskProfile: q.ID("risk_profile", "", false),
		Tag:         q.String("tag", ""),
		Source:      q.Enum("source", "", signals.SourceModel, signals.SourceScan, signals.SourceImport),
	}
	f.Date = q.Date("date", false)
	f.Start, f.End = q.Date("start", false), q.Date("end", false)
	if f.Start != "" && f.End != "" && f.End < f.Start {
		q.C.Fail("end", "end is before start", "value_error")
	}
	for _, t := range q.List("tickers") {
		t = strings.ToUpper(strings.TrimSpace(t))
		if !signals.ValidTicker(t) {
			q.C.Fail("tickers", "not a ticker: "+clip(t), "value_error")
			continue
		}
		f.Tickers = append(f.Tickers, t)
	}
	if t := q.Ticker("ticker", "", false); t != "" {
		f.Tickers = append(f.Tickers, t)
	}
	return f
}

type signalList struct {
	Rows  []signals.Signal `json:"rows"`
	Count int              `json:"count"`
	PageInfo
}

func (s *Server) listSignals(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	f := signalFilter(q)
	text := q.String("q", "")
	page := q.Page(200)
	if err := q.Err(); err != nil {
		return nil, err
	}
	res, err := s.Lab.ListSignals(r.Context(), engine.SignalQuery{SignalFilter: f, Q: text, Limit: page.Limit, Offset: page.Offset})
	if err != nil {
		return nil, err
	}
	rows := res.Rows
	if rows == nil {
		rows = []signals.Signal{}
	}
	return signalList{Rows: rows, Count: len(rows), PageInfo: page.Info(len(rows), res.Total)}, nil
}

func (s *Server) signalsSummary(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	f := signalFilter(q)
	q.ID("model_id", "", true)
	if err := q.Err(); err != nil {
		return nil, err
	}
	return s.Lab.SummarizeSignals(r.Context(), f)
}

type signalLeaderList struct {
	Rows  []engine.SignalLeaderRow `json:"rows"`
	Count int                      `json:"count"`
	PageInfo
}

func (s *Server) signalsLeaderboard(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	f := signalFilter(q)
	page := q.Page(50)
	if err := q.Err(); err != nil {
		return nil, err
	}
	rows, total, err := s.Lab.SignalsLeaderboard(r.Context(), f, page.Limit, page.Offset)
	if err != nil {
		return nil, err
	}
	if rows == nil {
		rows = []engine.SignalLeaderRow{}
	}
	return signalLeaderList{Rows: rows, Count: len(rows), PageInfo: page.Info(len(rows), total)}, nil
}

func (s *Server) modelPerformance(r *http.Request, p httprouter.Params) (any, error) {
	q := NewQuery(r)
	f := signalFilter(q)
	c := NewCheck("path")
	f.ModelID = c.ID("model_id", p.ByName("model_id"), true)
	if err := q.Err(); err != nil {
		return nil, err
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	return s.Lab.Performance(r.Context(), f)
}
