package engine

import (
	"context"
	"fmt"
	"sort"
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
	ID            string         `json:"id"` // <model_id>-<event>-<run id or timestamp>
	SchemaVersion string         `json:"schema_version"`
	PackID        string         `json:"pack_id"`
	ModelID       string         `json:"model_id"`
	CreatedAt     time.Time      `json:"created_at"`
	Event         string         `json:"event"` // build, train, backtest, sweep
	PolicyVersion int            `json:"policy_version"`
	Lineage       map[string]any `json:"lineage"`
	Config        map[string]any `json:"config"` // ticker, model, task, train_window
	Policy        map[string]any `json:"policy"` // execution block
	Params        map[string]any `json:"params"`
	Metrics       map[string]any `json:"metrics"`
	Features      []string       `json:"features"`
	Notes         string         `json:"notes"`
	RunID         int64          `json:"run_id,omitempty"`
	ArtifactID    string         `json:"artifact_id,omitempty"`
}

// CardStore persists model cards (JSON + markdown, indexed for search).
type CardStore interface {
	// PutCard stores the card and its markdown rendering; it returns the
	// data-dir relative path of the JSON document.
	PutCard(ctx context.Context, card ModelCard, markdown string) (string, error)
}

// cardConfig extracts the config summary a card shows.
func cardConfig(cfg map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range []string{"ticker", "model", "algo", "task", "train_window", "asset_type", "horizon", "cadence"} {
		if v, ok := cfg[k]; ok {
			out[k] = v
		}
	}
	return out
}

// cardPolicy extracts the execution block of a policy.
func cardPolicy(pol map[string]any) map[string]any {
	if ex, ok := pol["execution"].(map[string]any); ok {
		return ex
	}
	return map[string]any{}
}

// RenderCardMarkdown is the human rendering of a card.
func RenderCardMarkdown(c ModelCard) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Model card — %s / %s (%s)\n\n", c.PackID, c.ModelID, c.Event)
	fmt.Fprintf(&b, "- created: %s\n- policy version: %d\n", c.CreatedAt.Format(time.RFC3339), c.PolicyVersion)
	if c.RunID > 0 {
		fmt.Fprintf(&b, "- run: %d\n", c.RunID)
	}
	if c.ArtifactID != "" {
		fmt.Fprintf(&b, "- artifact: %s\n", c.ArtifactID)
	}
	section := func(title string, m map[string]any) {
		if len(m) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n## %s\n\n", title)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "- %s: %v\n", k, m[k])
		}
	}
	section("Config", c.Config)
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
