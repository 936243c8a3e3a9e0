package httpapi_test

import (
	"testing"

	"sigmalab/httpapi/apitest"
)

// The index's legacy endpoint list names only registered paths.
func TestIndexEndpointsAreRegistered(t *testing.T) {
	env := apitest.New(t)
	st, m := env.JSON("GET", "/", nil)
	if st != 200 {
		t.Fatalf("GET /: %d", st)
	}
	paths := map[string]bool{}
	for _, r := range m["routes"].([]any) {
		paths[r.(map[string]any)["path"].(string)] = true
	}
	eps := m["endpoints"].([]any)
	if len(eps) < 5 {
		t.Fatalf("endpoints: %v", eps)
	}
	for _, e := range eps {
		if !paths[e.(string)] {
			t.Errorf("endpoint %v is not a route", e)
		}
	}
}
