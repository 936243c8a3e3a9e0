package httpapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/gowebpki/jcs"
)

// TestLineageHashesRecomputable: a build's model_config_sha and policy_sha are
// sha256 over the RFC 8785 canonical JSON of the config and policy that
// GET /models/{id} returns, so a user can recompute them outside (README).
func TestLineageHashesRecomputable(t *testing.T) {
	env := demoSPYEnv(t)
	code, out := env.JSON("POST", "/build_matrix", map[string]any{"model_id": "spy_opt_0dte_hourly",
		"start": "2024-07-01", "end": "2024-07-03"})
	if code != 200 {
		t.Fatalf("build: %d %v", code, out)
	}
	lin := out["lineage"].(map[string]any)
	code, model := env.JSON("GET", "/models/spy_opt_0dte_hourly", nil)
	if code != 200 {
		t.Fatalf("model: %d %v", code, model)
	}
	sha := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if b, err = jcs.Transform(b); err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(b)
		return hex.EncodeToString(s[:])
	}
	if got := sha(model["config"]); got != lin["model_config_sha"] {
		t.Errorf("model_config_sha %v, sha256(JCS(config)) %s", lin["model_config_sha"], got)
	}
	if got := sha(model["policy"]); got != lin["policy_sha"] {
		t.Errorf("policy_sha %v, sha256(JCS(policy)) %s", lin["policy_sha"], got)
	}
}
