package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
	"sigmalab/engine/errs"
	"sigmalab/engine/jobs"
)

func (s *Server) routesSweep() {
	if s.Lab != nil && s.Lab.Jobs != nil {
		jobs.Register(s.Lab.Jobs, engine.SweepJobKind, jobs.Heavy, s.Lab.SweepJob)
	}
	s.POST("/backtest_sweep", "sweep trading parameters over cached OOF predictions; guardrails, ranking, report (async:true → job)", s.backtestSweep)
	s.GET("/sweeps", "list sweeps (pack_id, model_id, tag, status, limit, offset), newest first", s.listSweeps)
	s.GET("/sweeps/:sweep_id", "one sweep and every cell result", s.getSweep)
}

// variantList decodes a list of variants where each variant is a CSV string
// ("0.55,0.60") or a JSON array ([0.55, 0.6]); the whole list may also be one
// string with variants separated by ";" (the predecessor's CLI form).
type variantList []string

// UnmarshalJSON implements json.Unmarshaler.
func (l *variantList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*l = nil
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		var out []string
		for _, v := range strings.Split(s, ";") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
		*l = out
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return fmt.Errorf("expected a list of variants")
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		it = bytes.TrimSpace(it)
		switch {
		case len(it) > 0 && it[0] == '"':
			var s string
			if err := json.Unmarshal(it, &s); err != nil {
				return err
			}
			out = append(out, strings.TrimSpace(s))
		case len(it) > 0 && it[0] == '[':
			var xs []float64
			if err := json.Unmarshal(it, &xs); err != nil {
				return fmt.Errorf("variant items must be numbers")
			}
			parts := make([]string, len(xs))
			for i, x := range xs {
				parts[i] = strconv.FormatFloat(x, 'f', -1, 64)
			}
			out = append(out, strings.Join(parts, ","))
		case len(it) > 0 && (it[0] == '-' || (it[0] >= '0' && it[0] <= '9')):
			out = append(out, string(it)) // a single number is a one-item variant
		default:
			return fmt.Errorf("each variant must be a \"a,b,c\" string or a list of numbers")
		}
	}
	*l = out
	return nil
}

// sweepBody is the wire form of engine.SweepRequest with lenient list decoding.
type sweepBody struct {
	ModelID              string         `json:"model_id"`
	PackID               string         `json:"pack_id"`
	Start                string         `json:"start"`
	End                  string         `json:"end"`
	ThresholdsVariants   variantList    `json:"thresholds_variants"`
	AllowedHoursVariants variantList    `json:"allowed_hours_variants"`
	TopPctVariants       FloatList      `json:"top_pct_variants"`
	SlippageBpsVariants  FloatList      `json:"slippage_bps_variants"`
	SizeByConfVariants   []bool         `json:"size_by_conf_variants"`
	Splits               int            `json:"splits"`
	Embargo              float64        `json:"embargo"`
	AllowedHours         StringList     `json:"allowed_hours"`
	Calibration          string         `json:"calibration"`
	BuildID              string         `json:"build_id"`
	Target               string         `json:"target"`
	CV                   string         `json:"cv"`
	TrainHours           StringList     `json:"train_hours"`
	Hyperparams          map[string]any `json:"hyperparams"`
	Save                 *bool          `json:"save"`
	Tag                  string         `json:"tag"`
	MinTrades            int            `json:"min_trades"`
	MinSharpe            *float64       `json:"min_sharpe"`
	Holding              string         `json:"holding"`
	RiskProfile          string         `json:"risk_profile"`
	Async                bool           `json:"async"`
}

func (b sweepBody) request() (engine.SweepRequest, error) {
	var trainHours []int
	for _, h := range b.TrainHours {
		n, err := strconv.Atoi(h)
		if err != nil {
			return engine.SweepRequest{}, errs.Field("body", "train_hours", "train_hours must be a list of ints")
		}
		trainHours = append(trainHours, n)
	}
	return engine.SweepRequest{
		ModelID: b.ModelID, PackID: b.PackID, Start: b.Start, End: b.End,
		ThresholdsVariants: b.ThresholdsVariants, AllowedHoursVariants: b.AllowedHoursVariants,
		TopPctVariants: b.TopPctVariants, SlippageBpsVariants: b.SlippageBpsVariants,
		SizeByConfVariants: b.SizeByConfVariants, Splits: b.Splits, Embargo: b.Embargo,
		AllowedHours: strings.Join(b.AllowedHours, ","), Calibration: b.Calibration, Save: b.Save, Tag: b.Tag,
		MinTrades: b.MinTrades, MinSharpe: b.MinSharpe, Holding: b.Holding, RiskProfile: b.RiskProfile, Async: b.Async,
		BuildID: b.BuildID, Target: b.Target, CV: b.CV, TrainHours: trainHours, Hyperparams: b.Hyperparams,
	}, nil
}

func (s *Server) backtestSweep(r *http.Request, _ httprouter.Params) (any, error) {
	var body sweepBody
	if err := DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	req, err := body.request()
	if err != nil {
		return nil, err
	}
	req, _, _, err = req.Normalize()
	if err != nil {
		return nil, err
	}
	if req.Async {
		return s.SubmitJob(r, engine.SweepJobKind, req)
	}
	return s.Lab.Sweep(r.Context(), req, engine.SweepOptions{})
}

type sweepList struct {
	Rows []engine.SweepRecord `json:"rows"`
	PageInfo
}

func (s *Server) listSweeps(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	page := q.Page(20)
	f := engine.SweepFilter{
		PackID:  q.ID("pack_id", "", false),
		ModelID: q.ID("model_id", "", false),
		Tag:     q.String("tag", ""),
		Status: q.Enum("status", "", engine.SweepRunning, engine.SweepCompleted, engine.SweepFailed,
			engine.SweepCancelled, engine.SweepInterrupted),
		Limit: page.Limit, Offset: page.Offset,
	}
	if err := q.Err(); err != nil {
		return nil, err
	}
	rows, total, err := s.Lab.ListSweeps(r.Context(), f)
	if err != nil {
		return nil, err
	}
	return sweepList{Rows: rows, PageInfo: page.Info(len(rows), total)}, nil
}

type sweepDetail struct {
	Sweep   engine.SweepRecord   `json:"sweep"`
	Results []engine.SweepResult `json:"results"`
}

func (s *Server) getSweep(r *http.Request, p httprouter.Params) (any, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(p.ByName("sweep_id")), 10, 64)
	if err != nil || id < 1 {
		return nil, &errs.Validation{Fields: []errs.FieldError{{Loc: []string{"path", "sweep_id"},
			Msg: "Input should be an integer >= 1", Type: "int_parsing"}}}
	}
	rec, rows, err := s.Lab.GetSweep(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return sweepDetail{Sweep: rec, Results: rows}, nil
}
