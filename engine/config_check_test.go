package engine

import (
	"encoding/json"
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"sigmalab/assets"
	"sigmalab/engine/doc"
	"sigmalab/engine/policy"
)

func jsonDoc(t *testing.T, s string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDecodeModelConfig(t *testing.T) {
	ok := []string{
		`{}`,
		`{"labels":{"kind":"next_hour","params":{"k_sigma":0.3}}}`,
		`{"label":{"type":"fwd_ret_5d","horizon":1}}`,
		`{"labels":{"kind":"regression","target":"fwd_ret_close_to_open"}}`,
		`{"hyperparams":{"max_depth":6,"learning_rate":0.05,"objective":"multi:softprob"}}`,
		`{"ticker":"spy","asset_type":"Stock","horizon":"SWING","cadence":"Daily","session":"rth","features":["a","b"]}`,
	}
	for _, c := range ok {
		if _, pr := DecodeModelConfig(jsonDoc(t, c)); len(pr.Fields) != 0 {
			t.Errorf("%s: %v", c, pr.Fields)
		}
	}
	c, _ := DecodeModelConfig(jsonDoc(t, `{"ticker":"spy","asset_type":"Stock","cadence":"Daily"}`))
	if c.Ticker != "SPY" || c.AssetType != "eq" || c.Cadence != "daily" {
		t.Errorf("not normalised: %+v", c)
	}
	bad := []struct {
		cfg, loc string
	}{
		{`{"labels":{"kind":"bogus"}}`, "labels.kind"},
		{`{"label":{"type":"bogus"}}`, "label.type"},
		{`{"labels":{"kind":"next_hour","params":{"k_sigma":"x"}}}`, "labels.params.k_sigma"},
		{`{"labels":{"kind":"headfake_reversal","params":{"open_time":"9h30"}}}`, "labels.params.open_time"},
		{`{"hyperparams":{"max_depth":-1}}`, "hyperparams.max_depth"},
		{`{"hyperparams":{"learning_rate":0}}`, "hyperparams"},
		{`{"hyperparams":{"learning_rate":"NaN"}}`, "hyperparams.learning_rate"},
		{`{"hyperparams":"deep"}`, "hyperparams"},
		{`{"asset_type":"bond"}`, "asset_type"},
		{`{"cadence":"weekly"}`, "cadence"},
		{`{"cadence":5}`, "cadence"},
		{`{"horizon":"decade"}`, "horizon"},
		{`{"session":"night"}`, "session"},
		{`{"ticker":"1AB"}`, "ticker"},
		{`{"model":"svm"}`, "model"},
		{`{"indicator_set":"Bad Name"}`, "indicator_set"},
		{`{"distance_max":0}`, "distance_max"},
		{`{"features":3}`, "features"},
		{`{"features":["a",2]}`, "features.1"},
		{`{"features":{"flow":{"atm":"yes"}}}`, "features.flow.atm"},
		{`{"features":{"flow":{"distance_max":99}}}`, "features.flow.distance_max"},
		{`{"features":{"momentum":{"hourly_horizons":[0]}}}`, "features.momentum.hourly_horizons"},
		{`{"train_window":{"start":"2024-13-01"}}`, "train_window.start"},
	}
	for _, c := range bad {
		_, pr := DecodeModelConfig(jsonDoc(t, c.cfg))
		if len(pr.Fields) == 0 || doc.Path(pr.Fields[0].Loc) != c.loc {
			t.Errorf("%s: %v, want a problem at %s", c.cfg, pr.Fields, c.loc)
		}
	}
}

// TestPackDocumentsRoundTrip: every shipped model config, policy template and
// model template decodes without a problem, and Decode then Doc gives each
// document back exactly (unknown keys included).
func TestPackDocumentsRoundTrip(t *testing.T) {
	fsys := assets.Packs()
	n := 0
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		kind := ""
		for _, k := range []string{"model_configs", "policy_templates", "model_templates"} {
			if strings.Contains(path, "/"+k+"/") {
				kind = k
			}
		}
		if kind == "" {
			return nil
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		var v map[string]any
		if err := yaml.Unmarshal(b, &v); err != nil {
			return err
		}
		in := roundJSON(t, doc.Copy(v))
		check := func(what string, raw any, decode func(any) (any, *doc.Problems)) {
			if raw == nil {
				return
			}
			raw = roundJSON(t, raw)
			got, pr := decode(raw)
			if len(pr.Fields) != 0 {
				t.Errorf("%s %s: %v", path, what, pr.Fields)
			}
			if out := roundJSON(t, got); !reflect.DeepEqual(out, raw) {
				t.Errorf("%s %s round trip:\n in %v\nout %v", path, what, raw, out)
			}
			n++
		}
		decCfg := func(x any) (any, *doc.Problems) { c, pr := DecodeModelConfig(x); return c, pr }
		decPol := func(x any) (any, *doc.Problems) { p, pr := policy.Decode(x); return p, pr }
		switch kind {
		case "model_configs":
			check("config", in, decCfg)
		case "policy_templates":
			check("policy", in, decPol)
		case "model_templates":
			m := in.(map[string]any)
			check("config", m["config"], decCfg)
			check("policy", m["policy"], decPol)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 40 {
		t.Fatalf("only %d documents checked", n)
	}
}

// roundJSON passes v through JSON (numbers become float64, as the store keeps them).
func roundJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
