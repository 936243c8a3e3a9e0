package engine

import (
	"errors"
	"strings"
	"testing"

	"sigmalab/engine/errs"
)

func TestCheckModelConfig(t *testing.T) {
	ok := []map[string]any{
		{},
		{"labels": map[string]any{"kind": "next_hour", "params": map[string]any{"k_sigma": 0.3}}},
		{"label": map[string]any{"type": "fwd_ret_5d"}},
		{"hyperparams": map[string]any{"max_depth": 6, "learning_rate": 0.05, "objective": "multi:softprob"}},
	}
	for _, c := range ok {
		if err := checkModelConfig(c); err != nil {
			t.Errorf("%v: %v", c, err)
		}
	}
	bad := []struct {
		cfg map[string]any
		loc string
	}{
		{map[string]any{"labels": map[string]any{"kind": "bogus"}}, "body.config.labels"},
		{map[string]any{"hyperparams": map[string]any{"max_depth": -1}}, "body.config.hyperparams.max_depth"},
		{map[string]any{"hyperparams": map[string]any{"learning_rate": 0}}, "body.config.hyperparams"},
		{map[string]any{"hyperparams": map[string]any{"learning_rate": "NaN"}}, "body.config.hyperparams.learning_rate"},
		{map[string]any{"hyperparams": "deep"}, "body.config.hyperparams"},
	}
	for _, c := range bad {
		err := checkModelConfig(c.cfg)
		var ve *errs.Validation
		if !errors.As(err, &ve) || strings.Join(ve.Fields[0].Loc, ".") != c.loc {
			t.Errorf("%v: %v, want a validation error at %s", c.cfg, err, c.loc)
		}
	}
}
