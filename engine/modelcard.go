package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ModelCardSchemaVersion is the card JSON schema (the predecessor's "1.0" plus
// additive fields).
const ModelCardSchemaVersion = "1.0"

// ModelCard is the record written on build/train/backtest/sweep events
// (reference storage-admin.md §9): what was run, on what, with which
// parameters, and how it scored.
type ModelCard struct {
	ID            string     `json:"id"` // <model_id>-<event>-<run id or timestamp>
	SchemaVersion string     `json:"schema_version"`
	PackID        string     `json:"pack_id"`
	ModelID       string     `json:"model_id"`
	CreatedAt     time.Time  `json:"created_at"`
	Event         string     `json:"event"` // build, train, backtest, sweep
	PolicyVersion int        `json:"policy_version"`
	Config        CardConfig `json:"config"`
	// Policy, Params, Metrics and Lineage hold the event's typed sections
	// when a card is written (policy.Execution; BuildCardParams and
	// BuildCardMetrics, TrainParams and TrainCardMetrics, …); a card read back
	// from its JSON file holds their JSON values.
	Policy     any      `json:"policy"`
	Params     any      `json:"params"`
	Metrics    any      `json:"metrics"`
	Lineage    any      `json:"lineage"`
	Features   []string `json:"features"`
	Notes      string   `json:"notes"`
	RunID      int64    `json:"run_id,omitempty"`
	ArtifactID string   `json:"artifact_id,omitempty"`
}

// CardStore persists model cards (JSON + markdown, indexed for search).
type CardStore interface {
	// PutCard stores the card and its markdown rendering; it returns the
	// data-dir relative path of the JSON document.
	PutCard(ctx context.Context, card ModelCard, markdown string) (string, error)
}

// RenderCardMarkdown is the human rendering of a card. Values are shown as a
// reader wants them, not as Go prints them: numbers with a few significant
// digits, nil as "—", times as RFC 3339, maps and structs (by their JSON
// names) as nested lists, and lists of records as small tables.
func RenderCardMarkdown(c ModelCard) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Model card — %s / %s (%s)\n\n", c.PackID, c.ModelID, c.Event)
	fmt.Fprintf(&b, "- created: %s\n- policy version: %d\n", c.CreatedAt.UTC().Format(time.RFC3339), c.PolicyVersion)
	if c.RunID > 0 {
		fmt.Fprintf(&b, "- run: %d\n", c.RunID)
	}
	if c.ArtifactID != "" {
		fmt.Fprintf(&b, "- artifact: %s\n", c.ArtifactID)
	}
	section := func(title string, v any) {
		m, _ := cardPlain(v).(map[string]any)
		if len(m) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n## %s\n\n", title)
		writeCardMap(&b, m, 0)
	}
	section("Config", c.Config)
	section("Policy", c.Policy)
	section("Params", c.Params)
	section("Metrics", c.Metrics)
	section("Lineage", c.Lineage)
	if len(c.Features) > 0 {
		fmt.Fprintf(&b, "\n## Features (%d)\n\n%s\n", len(c.Features), strings.Join(c.Features, ", "))
	}
	if c.Notes != "" {
		fmt.Fprintf(&b, "\n## Notes\n\n%s\n", c.Notes)
	}
	return b.String()
}

// cardPlain turns a card value into plain data through its JSON form, the
// form the card's JSON document has: structs by their JSON names, pointers
// followed, nil kept. Numbers stay json.Number so integers print exactly.
func cardPlain(v any) any {
	if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	b, err := json.Marshal(v)
	if err != nil {
		// A nested NaN has no JSON form; say what it is rather than dump it.
		return "(not representable: " + err.Error() + ")"
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out any
	if err := d.Decode(&out); err != nil {
		return string(b)
	}
	return out
}

// cardLeadKeys are the columns a table of records starts with.
var cardLeadKeys = []string{"fold", "hour", "thr", "threshold", "k_stop", "k_target", "name", "feature"}

// writeCardMap writes m as a markdown list, keys sorted, nested maps and
// lists indented one level per depth.
func writeCardMap(b *strings.Builder, m map[string]any, depth int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		writeCardItem(b, k, m[k], depth)
	}
}

// writeCardItem writes one "- label: value" line, or a label followed by a
// nested list or table.
func writeCardItem(b *strings.Builder, label string, v any, depth int) {
	ind := strings.Repeat("  ", depth)
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			fmt.Fprintf(b, "%s- %s: —\n", ind, label)
			return
		}
		fmt.Fprintf(b, "%s- %s:\n", ind, label)
		writeCardMap(b, x, depth+1)
	case []any:
		switch {
		case len(x) == 0:
			fmt.Fprintf(b, "%s- %s: —\n", ind, label)
		case cardAllScalar(x):
			parts := make([]string, len(x))
			for i, e := range x {
				parts[i] = cardScalar(e)
			}
			fmt.Fprintf(b, "%s- %s: %s\n", ind, label, strings.Join(parts, ", "))
		case cardRecords(x):
			fmt.Fprintf(b, "%s- %s:\n\n", ind, label)
			writeCardTable(b, x, ind+"  ")
			b.WriteString("\n")
		default:
			fmt.Fprintf(b, "%s- %s:\n", ind, label)
			for i, e := range x {
				writeCardItem(b, strconv.Itoa(i+1), e, depth+1)
			}
		}
	default:
		fmt.Fprintf(b, "%s- %s: %s\n", ind, label, cardScalar(v))
	}
}

func cardAllScalar(xs []any) bool {
	for _, e := range xs {
		switch e.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

// cardRecords: every element is a non-empty map of scalars (a table).
func cardRecords(xs []any) bool {
	for _, e := range xs {
		m, ok := e.(map[string]any)
		if !ok || len(m) == 0 {
			return false
		}
		for _, v := range m {
			switch v.(type) {
			case map[string]any, []any:
				return false
			}
		}
	}
	return true
}

// writeCardTable writes records as a markdown table: the lead keys first,
// then the others sorted; a missing cell is "—".
func writeCardTable(b *strings.Builder, rows []any, ind string) {
	seen := map[string]bool{}
	for _, r := range rows {
		for k := range r.(map[string]any) {
			seen[k] = true
		}
	}
	var cols []string
	for _, k := range cardLeadKeys {
		if seen[k] {
			cols = append(cols, k)
			delete(seen, k)
		}
	}
	rest := make([]string, 0, len(seen))
	for k := range seen {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	cols = append(cols, rest...)
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	hdr := make([]string, len(cols))
	sep := make([]string, len(cols))
	for i, c := range cols {
		hdr[i], sep[i] = cell(c), "---"
	}
	fmt.Fprintf(b, "%s| %s |\n%s| %s |\n", ind, strings.Join(hdr, " | "), ind, strings.Join(sep, " | "))
	for _, r := range rows {
		m := r.(map[string]any)
		vals := make([]string, len(cols))
		for i, c := range cols {
			v, ok := m[c]
			if !ok {
				v = nil
			}
			vals[i] = cell(cardScalar(v))
		}
		fmt.Fprintf(b, "%s| %s |\n", ind, strings.Join(vals, " | "))
	}
}

// cardScalar renders one plain value: nil and "" as "—", booleans as yes/no,
// numbers by cardNumber, RFC 3339 times in UTC to the second.
func cardScalar(v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case json.Number:
		return cardNumber(x)
	case float64:
		return cardFloat(x)
	case string:
		if x == "" {
			return "—"
		}
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t.UTC().Format(time.RFC3339)
		}
		return strings.Join(strings.Fields(x), " ")
	default:
		return fmt.Sprint(x)
	}
}

// cardNumber prints integers exactly and other numbers by cardFloat.
func cardNumber(n json.Number) string {
	if i, err := n.Int64(); err == nil {
		return strconv.FormatInt(i, 10)
	}
	f, err := n.Float64()
	if err != nil {
		return n.String()
	}
	return cardFloat(f)
}

// cardFloat prints four significant digits below 1000, two decimals from
// 1000 on, whole numbers without decimals, and very small or very large
// magnitudes in exponent form; trailing zeros are dropped.
func cardFloat(f float64) string {
	a := math.Abs(f)
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return strconv.FormatFloat(f, 'g', -1, 64)
	case a == 0:
		return "0"
	case a >= 1e15 || a < 1e-4:
		return strconv.FormatFloat(f, 'g', 4, 64)
	case f == math.Trunc(f):
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	dec := 2
	if a < 1000 {
		dec = 3 - int(math.Floor(math.Log10(a)))
	}
	s := strconv.FormatFloat(f, 'f', dec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
