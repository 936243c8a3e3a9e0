package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
	"sigmalab/engine/errs"
)

type nanInner struct {
	X float64   `json:"x"`
	Y []float64 `json:"y"`
}

type nanEmbedded struct {
	E float64 `json:"e"`
}

type nanOuter struct {
	nanEmbedded
	A     float64            `json:"a"`
	B     *float64           `json:"b"`
	M     map[string]float64 `json:"m"`
	In    nanInner           `json:"in"`
	Skip  float64            `json:"-"`
	Empty float64            `json:"empty,omitempty"`
	K     map[int]any        `json:"k"`
}

func TestMarshalJSONNaN(t *testing.T) {
	nan := math.NaN()
	v := nanOuter{
		nanEmbedded: nanEmbedded{E: math.Inf(1)},
		A:           nan, B: &nan,
		M:    map[string]float64{"p": nan, "q": 1.5},
		In:   nanInner{X: math.Inf(-1), Y: []float64{1, nan, 2}},
		Skip: nan,
		K:    map[int]any{3: []any{nan, float32(2)}},
	}
	b, err := MarshalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":null,"b":null,"e":null,"in":{"x":null,"y":[1,null,2]},"k":{"3":[null,2]},"m":{"p":null,"q":1.5}}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	// Finite values take the fast path and keep field order.
	b, err = MarshalJSON(nanInner{X: 1, Y: []float64{2}})
	if err != nil || string(b) != `{"x":1,"y":[2]}` {
		t.Fatalf("fast path: %s %v", b, err)
	}
}

type verdict struct {
	OK     bool `json:"ok"`
	Reason string
}

func testServer(t *testing.T, register func(s *Server)) http.Handler {
	t.Helper()
	s := newServer(&engine.Lab{}, Options{MaxBody: 64, Log: newDiscard(), Now: nowFunc()})
	register(s)
	return s.Handler()
}

func TestAdapter(t *testing.T) {
	h := testServer(t, func(s *Server) {
		s.GET("/map", "", func(*http.Request, httprouter.Params) (any, error) {
			return map[string]any{"n": 1, "f": math.NaN()}, nil
		})
		s.GET("/struct", "", func(*http.Request, httprouter.Params) (any, error) {
			return struct {
				Rows []int `json:"rows"`
				PageInfo
			}{[]int{1}, Page{Limit: 1}.Info(1, 2)}, nil
		})
		s.GET("/verdict", "", func(*http.Request, httprouter.Params) (any, error) {
			return verdict{OK: false, Reason: "x"}, nil
		})
		s.GET("/slice", "", func(*http.Request, httprouter.Params) (any, error) { return []int{1, 2}, nil })
		s.GET("/nil", "", func(*http.Request, httprouter.Params) (any, error) { return nil, nil })
		s.POST("/async", "", func(*http.Request, httprouter.Params) (any, error) { return Accepted{JobID: "7"}, nil })
		s.GET("/raw", "", func(*http.Request, httprouter.Params) (any, error) {
			return Raw{ContentType: "text/plain", Body: []byte("hi")}, nil
		})
		s.GET("/notfound", "", func(*http.Request, httprouter.Params) (any, error) {
			return nil, fmt.Errorf("model x: %w", errs.ErrNotFound)
		})
		s.GET("/conflict", "", func(*http.Request, httprouter.Params) (any, error) {
			return nil, fmt.Errorf("exists: %w", errs.ErrConflict)
		})
		s.GET("/invalid", "", func(*http.Request, httprouter.Params) (any, error) { return nil, errs.Invalidf("bad %s", "x") })
		s.GET("/validation", "", func(r *http.Request, _ httprouter.Params) (any, error) {
			q := NewQuery(r)
			q.Date("start", true)
			q.Ticker("ticker", "", false)
			q.ID("model_id", "", false)
			return nil, q.Err()
		})
		s.GET("/boom", "", func(*http.Request, httprouter.Params) (any, error) { panic("kaboom secret") })
		s.GET("/plain", "", func(*http.Request, httprouter.Params) (any, error) { return nil, errors.New("db exploded") })
		s.POST("/body", "", func(r *http.Request, _ httprouter.Params) (any, error) {
			var b struct {
				N int        `json:"n"`
				L StringList `json:"l"`
			}
			if err := DecodeJSON(r, &b); err != nil {
				return nil, err
			}
			return map[string]any{"n": b.N, "l": b.L}, nil
		})
	})
	cases := []struct {
		method, url, body string
		status            int
		want              []string
		notWant           []string
	}{
		{"GET", "/map", "", 200, []string{`{"ok":true,`, `"f":null`, `"n":1`}, nil},
		{"GET", "/struct", "", 200, []string{`{"ok":true,"rows":[1],"limit":1,"offset":0,"next_offset":1,"total":2}`}, nil},
		{"GET", "/verdict", "", 200, []string{`{"ok":false,"Reason":"x"}`}, []string{`"ok":true`}},
		{"GET", "/slice", "", 200, []string{`{"data":[1,2],"ok":true}`}, nil},
		{"GET", "/nil", "", 200, []string{`{"ok":true}`}, nil},
		{"POST", "/async", "", 202, []string{`{"ok":true,"job_id":"7"}`}, nil},
		{"GET", "/raw", "", 200, []string{`hi`}, []string{`ok`}},
		{"GET", "/notfound", "", 404, []string{`"ok":false`, `"code":"not_found"`, `model x`}, nil},
		{"GET", "/conflict", "", 409, []string{`"code":"conflict"`}, nil},
		{"GET", "/invalid", "", 400, []string{`"code":"bad_request"`}, nil},
		{"GET", "/validation?ticker=1bad&model_id=Bad", "", 422, []string{`"code":"validation_error"`,
			`"loc":["query","start"]`, `"type":"missing"`, `"loc":["query","ticker"]`, `"loc":["query","model_id"]`}, nil},
		{"GET", "/validation?start=2024-13-01", "", 422, []string{`"loc":["query","start"]`, `invalid date`}, nil},
		{"GET", "/boom", "", 500, []string{`"code":"internal"`, `"request_id":"`}, []string{"kaboom"}},
		{"GET", "/plain", "", 500, []string{`"error":"internal error"`}, []string{"exploded"}},
		{"GET", "/nope", "", 404, []string{`"code":"not_found"`}, nil},
		{"POST", "/map", "", 405, []string{`"code":"method_not_allowed"`}, nil},
		{"POST", "/body", `{"n":3,"l":"a, b,c"}`, 200, []string{`"l":["a","b","c"]`, `"n":3`}, nil},
		{"POST", "/body", `{"n":3,"l":["x"],"unknown":1}`, 200, []string{`"l":["x"]`}, nil},
		{"POST", "/body", `{"n":`, 400, []string{`"code":"bad_json"`}, nil},
		{"POST", "/body", `{"n":"x"}`, 422, []string{`"loc":["body","n"]`}, nil},
		{"POST", "/body", `{"n":1} {}`, 400, []string{`"code":"bad_json"`}, nil},
		{"POST", "/body", `{"l":"` + strings.Repeat("a", 100) + `"}`, 413, []string{`"code":"too_large"`}, nil},
		{"POST", "/body", "", 200, []string{`"n":0`}, nil},
	}
	for _, c := range cases {
		req := newRequest(c.method, c.url, c.body)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body := rec.Body.String()
		if rec.Code != c.status {
			t.Errorf("%s %s: status %d want %d: %s", c.method, c.url, rec.Code, c.status, body)
		}
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s %s: missing %s in %s", c.method, c.url, w, body)
			}
		}
		for _, w := range c.notWant {
			if strings.Contains(body, w) {
				t.Errorf("%s %s: unexpected %s in %s", c.method, c.url, w, body)
			}
		}
		if rec.Header().Get("X-Request-ID") == "" {
			t.Errorf("%s %s: no request id", c.method, c.url)
		}
		if ct := rec.Header().Get("Content-Type"); c.url != "/raw" && ct != "application/json" {
			t.Errorf("%s %s: content type %q", c.method, c.url, ct)
		}
		if c.url != "/raw" && !json.Valid(bytes.TrimSpace(rec.Body.Bytes())) {
			t.Errorf("%s %s: invalid JSON %s", c.method, c.url, body)
		}
	}
}

func TestPageInfo(t *testing.T) {
	enc := func(pi PageInfo) string { b, _ := json.Marshal(pi); return string(b) }
	if got := enc(Page{Limit: 10, Offset: 0}.Info(10, 25)); got != `{"limit":10,"offset":0,"next_offset":10,"total":25}` {
		t.Error(got)
	}
	if got := enc(Page{Limit: 10, Offset: 20}.Info(5, 25)); got != `{"limit":10,"offset":20,"next_offset":null,"total":25}` {
		t.Error(got)
	}
	if got := enc(Page{Limit: 10}.Info(10, -1)); got != `{"limit":10,"offset":0,"next_offset":10}` {
		t.Error(got)
	}
	for _, c := range []struct {
		q          string
		lim, off   int
		wantErrLoc string
	}{
		{"", 20, 0, ""}, {"limit=0", 1, 0, ""}, {"limit=9999", 500, 0, ""}, {"limit=-5&offset=3", 1, 3, ""},
		{"offset=-1", 20, 0, "offset"}, {"limit=abc", 20, 0, "limit"},
	} {
		q := NewQuery(httptest.NewRequest("GET", "/x?"+c.q, nil))
		p := q.Page(20)
		err := q.Err()
		if c.wantErrLoc == "" && (err != nil || p.Limit != c.lim || p.Offset != c.off) {
			t.Errorf("%s: got %+v %v", c.q, p, err)
		}
		if c.wantErrLoc != "" && (err == nil || !strings.Contains(err.Error(), c.wantErrLoc)) {
			t.Errorf("%s: want error on %s, got %v", c.q, c.wantErrLoc, err)
		}
	}
	if lo, hi := (Page{Limit: 10, Offset: 95}).Window(100); lo != 95 || hi != 100 {
		t.Error(lo, hi)
	}
}

func TestQueryLists(t *testing.T) {
	q := NewQuery(httptest.NewRequest("GET", `/x?a=x,y,%20z&b=["p","q"]&f=0.5,0.6&bad=[1,`, nil))
	if got := q.List("a"); strings.Join(got, "|") != "x|y|z" {
		t.Error(got)
	}
	if got := q.List("b"); strings.Join(got, "|") != "p|q" {
		t.Error(got)
	}
	if got := q.Floats("f"); len(got) != 2 || got[1] != 0.6 {
		t.Error(got)
	}
	if q.Err() != nil {
		t.Fatal(q.Err())
	}
	q.List("bad")
	if q.Err() == nil {
		t.Error("malformed list accepted")
	}
}

func TestCheckDateRange(t *testing.T) {
	c := NewCheck("body")
	c.DateRange("start", "2024-02-01", "end", "2024-01-01", true)
	err := c.Err()
	var v *errs.Validation
	if !errors.As(err, &v) || v.Fields[0].Loc[1] != "end" {
		t.Fatalf("got %v", err)
	}
	c = NewCheck("body")
	if tk := c.Ticker("ticker", " brk.b ", true); tk != "BRK.B" || c.Err() != nil {
		t.Fatal(tk, c.Err())
	}
}
