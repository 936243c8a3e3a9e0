package engine_test

import (
	"testing"

	"sigmalab/engine"
)

// TestCanonicalJSON pins the RFC 8785 form lineage hashes are taken over:
// sorted keys, no whitespace, "<" unescaped, numbers in ECMAScript form.
func TestCanonicalJSON(t *testing.T) {
	doc := map[string]any{"b": 1.0, "a": "<x>", "c": []any{1e21, 0.1, 0.0}, "é": true}
	got, err := engine.CanonicalJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":"<x>","b":1,"c":[1e+21,0.1,0],"é":true}`; string(got) != want {
		t.Fatalf("canonical JSON %s, want %s", got, want)
	}
	// sha256 of the bytes above, as `printf '%s' '…' | sha256sum` gives it.
	if sha := engine.CanonicalSHA(doc); sha != "bdf4309b3f3f154a671d164cc6298bb9b8a70e11f5673ce927fd601a96803805" {
		t.Fatalf("sha %s", sha)
	}
}
