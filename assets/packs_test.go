package assets

import (
	"io/fs"
	"path"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"sigmalab/engine/indicators"
	"sigmalab/engine/policy"
)

var wantPacks = []string{"longsigma", "momentumsigma", "overnightsigma", "swingsigma", "zerosigma"}

func readDoc(t *testing.T, fsys fs.FS, name string) map[string]any {
	t.Helper()
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

func stems(t *testing.T, fsys fs.FS, dir string) []string {
	t.Helper()
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".yaml") {
			out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
		}
	}
	return out
}

// TestPacksAreConsistent checks what the predecessor got wrong: every pack has
// pack.yaml and templates, every indicator set uses registry key names with
// valid parameters, every model names an indicator set of its pack, and every
// policy passes the schema and guard checks.
func TestPacksAreConsistent(t *testing.T) {
	fsys := Packs()
	for _, p := range wantPacks {
		meta := readDoc(t, fsys, path.Join(p, "pack.yaml"))
		if meta["id"] != p {
			t.Errorf("%s: pack.yaml id %v", p, meta["id"])
		}
		sets := map[string]bool{}
		for _, s := range stems(t, fsys, path.Join(p, "indicator_sets")) {
			sets[s] = true
			data, _ := fs.ReadFile(fsys, path.Join(p, "indicator_sets", s+".yaml"))
			set, err := indicators.ParseSet(data)
			if err != nil {
				t.Errorf("%s/%s: %v", p, s, err)
				continue
			}
			if set.Name != s {
				t.Errorf("%s/%s: name %q differs from file", p, s, set.Name)
			}
			raw := readDoc(t, fsys, path.Join(p, "indicator_sets", s+".yaml"))
			for _, it := range raw["indicators"].([]any) {
				name := it.(map[string]any)["name"].(string)
				if canon, ok := indicators.Canonical(name); !ok || canon != name {
					t.Errorf("%s/%s: %q is not a registry key (canonical %q)", p, s, name, canon)
				}
			}
		}
		if len(sets) == 0 {
			t.Errorf("%s: no indicator sets", p)
		}
		tpls := stems(t, fsys, path.Join(p, "model_templates"))
		if len(tpls) == 0 {
			t.Errorf("%s: no model templates", p)
		}
		if dt, _ := meta["default_template"].(string); !contains(tpls, dt) {
			t.Errorf("%s: default_template %q not among %v", p, dt, tpls)
		}
		for _, tid := range tpls {
			doc := readDoc(t, fsys, path.Join(p, "model_templates", tid+".yaml"))
			if doc["template_id"] != tid || doc["pack"] != p {
				t.Errorf("%s/%s: template_id/pack mismatch", p, tid)
			}
			cfg, _ := doc["config"].(map[string]any)
			if is, _ := cfg["indicator_set"].(string); !sets[is] {
				t.Errorf("%s/%s: indicator_set %q not in pack", p, tid, is)
			}
			checkPolicy(t, p+"/"+tid, doc["policy"])
		}
		for _, m := range stems(t, fsys, path.Join(p, "model_configs")) {
			doc := readDoc(t, fsys, path.Join(p, "model_configs", m+".yaml"))
			if doc["model_id"] != m {
				t.Errorf("%s/%s: model_id %v", p, m, doc["model_id"])
			}
			if is, _ := doc["indicator_set"].(string); !sets[is] {
				t.Errorf("%s/%s: indicator_set %q not in pack", p, m, is)
			}
		}
		for _, pol := range stems(t, fsys, path.Join(p, "policy_templates")) {
			checkPolicy(t, p+"/"+pol, readDoc(t, fsys, path.Join(p, "policy_templates", pol+".yaml")))
		}
	}
}

func checkPolicy(t *testing.T, where string, doc any) {
	t.Helper()
	// Round-trip through plain maps the way stored policies are.
	e := policy.Explain(doc, "")
	if !e.SchemaOK || !e.Checks.OK {
		t.Errorf("%s: policy invalid: %v %v", where, e.SchemaErrors, e.Checks.Errors)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
