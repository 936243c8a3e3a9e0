package sweep

import (
	"bytes"
	"encoding/json"
	"math"
)

// MarshalJSON writes NaN/Inf metrics as null: JSON has no NaN, and a cell without
// trades has no sharpe.
func (o Outcome) MarshalJSON() ([]byte, error) {
	return json.Marshal(outcomeWire{finite(o.BestSharpeHourly), finite(o.BestCumRet), o.Trades,
		finite(o.DSR), finite(o.PSR), o.PassGate})
}

// outcomeWire is Outcome's JSON form.
type outcomeWire struct {
	BestSharpeHourly *float64 `json:"best_sharpe_hourly"`
	BestCumRet       *float64 `json:"best_cum_ret"`
	Trades           int      `json:"total_trades"`
	DSR              *float64 `json:"dsr"`
	PSR              *float64 `json:"psr"`
	PassGate         bool     `json:"pass_gate"`
}

// UnmarshalJSON reads the form MarshalJSON writes (null → NaN).
func (o *Outcome) UnmarshalJSON(b []byte) error {
	var w outcomeWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	o.BestSharpeHourly, o.BestCumRet, o.Trades = orNaN(w.BestSharpeHourly), orNaN(w.BestCumRet), w.Trades
	o.DSR, o.PSR, o.PassGate = 0, 0, w.PassGate
	if w.DSR != nil {
		o.DSR = *w.DSR
	}
	if w.PSR != nil {
		o.PSR = *w.PSR
	}
	return nil
}

func finite(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// Row is a cell with its outcome in the predecessor's response shape:
// {kind, thresholds|top_pct, allowed_hours, result{…, _summary}} plus rank and ids.
type Row struct {
	Cell
	Rank          int             `json:"rank,omitempty"` // 1 = best; 0 = dropped by the guardrails
	Passed        bool            `json:"passed"`
	Reason        string          `json:"reason,omitempty"` // why the guardrails dropped it
	Metrics       Outcome         `json:"metrics"`
	Result        json.RawMessage `json:"result,omitempty"` // backtest result with "_summary"
	BacktestRunID int64           `json:"backtest_run_id,omitempty"`
}

// ResultJSON renders r's backtest detail with best_sharpe_hourly and
// best_cum_ret at its top level (the keys POST /backtest answers with, which
// the predecessor ranked sweeps by: runs[i].result.best_sharpe_hourly) and the
// "_summary" key (best_sharpe_hourly, best_cum_ret, total_trades, …), so
// clients reading runs[i].result._summary keep working. A detail that has a
// key of its own by one of these names keeps it.
func ResultJSON(r Result) json.RawMessage {
	sum, _ := json.Marshal(r.Outcome)
	detail := []byte("{}")
	if r.Detail() != nil {
		if b, err := json.Marshal(r.Detail()); err == nil {
			detail = b
		}
	}
	detail = bytes.TrimSpace(detail)
	if len(detail) < 2 || detail[0] != '{' {
		out, _ := json.Marshal(map[string]any{"value": json.RawMessage(detail), "_summary": json.RawMessage(sum),
			"best_sharpe_hourly": finite(r.Outcome.BestSharpeHourly), "best_cum_ret": finite(r.Outcome.BestCumRet)})
		return out
	}
	var own map[string]json.RawMessage
	_ = json.Unmarshal(detail, &own)
	var buf bytes.Buffer
	buf.Write(detail[:len(detail)-1])
	sep := len(bytes.TrimSpace(detail[1:len(detail)-1])) > 0
	add := func(key string, v []byte) {
		if _, ok := own[key]; ok {
			return
		}
		if sep {
			buf.WriteByte(',')
		}
		sep = true
		k, _ := json.Marshal(key)
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	best, _ := json.Marshal(finite(r.Outcome.BestSharpeHourly))
	cum, _ := json.Marshal(finite(r.Outcome.BestCumRet))
	add("best_sharpe_hourly", best)
	add("best_cum_ret", cum)
	add("_summary", sum)
	buf.WriteByte('}')
	return buf.Bytes()
}

// Detail is the evaluator's full result for the cell.
func (r Result) Detail() any { return r.Outcome.Detail }

// Summary is a sweep's outcome after guardrails and ranking.
type Summary struct {
	Count    int        // cells evaluated
	Filtered int        // cells passing the guardrails
	Ranked   []Result   // passing cells, best first
	Rejected []Rejected // dropped cells with reasons, in cell order
}

// Summarise applies g to rs and ranks the survivors.
func Summarise(rs []Result, g Guardrails) Summary {
	pass, rej := g.Filter(rs)
	Rank(pass)
	return Summary{Count: len(rs), Filtered: len(pass), Ranked: pass, Rejected: rej}
}

// Rows renders the first n ranked results (n <= 0: all) with full detail.
// runID maps a cell index to its stored backtest run (nil: none).
func (s Summary) Rows(n int, runID func(index int) int64) []Row {
	if n <= 0 || n > len(s.Ranked) {
		n = len(s.Ranked)
	}
	rows := make([]Row, n)
	for i := 0; i < n; i++ {
		r := s.Ranked[i]
		rows[i] = Row{Cell: r.Cell, Rank: i + 1, Passed: true, Metrics: r.Outcome, Result: ResultJSON(r)}
		if runID != nil {
			rows[i].BacktestRunID = runID(r.Cell.Index)
		}
	}
	return rows
}

// Table renders every result compactly (no detail) in cell order, with rank and
// pass/fail reason: the data behind a thresholds × hours heatmap.
func (s Summary) Table(all []Result) []Row {
	rank := make(map[int]int, len(s.Ranked))
	for i, r := range s.Ranked {
		rank[r.Cell.Index] = i + 1
	}
	reason := make(map[int]string, len(s.Rejected))
	for _, r := range s.Rejected {
		reason[r.Index] = r.Reason
	}
	rows := make([]Row, len(all))
	for i, r := range all {
		rows[i] = Row{Cell: r.Cell, Rank: rank[r.Cell.Index], Passed: rank[r.Cell.Index] > 0,
			Reason: reason[r.Cell.Index], Metrics: r.Outcome}
	}
	return rows
}

// ReportTopN is how many ranked runs the report carries with full detail.
const ReportTopN = 50
