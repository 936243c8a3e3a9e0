package indicators

import (
	"errors"
	"strings"
	"testing"

	"sigmalab/engine/errs"
)

func TestRegistryHas80Keys(t *testing.T) {
	if Count() != 80 {
		t.Fatalf("registry has %d keys, want 80", Count())
	}
	ohlcvOnly := 0
	for _, m := range List() {
		if m.Category == "" || m.Subcategory == "" || m.Doc == "" || len(m.Needs) == 0 {
			t.Errorf("%s: incomplete metadata %+v", m.Name, m)
		}
		if len(m.Needs) == 1 && m.Needs[0] == NeedOHLCV {
			ohlcvOnly++
		}
		for _, p := range m.Params {
			switch p.Type {
			case "int", "float", "string", "bool":
			default:
				t.Errorf("%s.%s: bad type %q", m.Name, p.Name, p.Type)
			}
		}
	}
	if ohlcvOnly < 40 {
		t.Errorf("only %d frame-only indicators", ohlcvOnly)
	}
	for _, want := range []string{"bollinger_bands", "fisher_transform", "rolling_std", "iv_skew25_delta", "ultimate_oscillator"} {
		if _, ok := Lookup(want); !ok {
			t.Errorf("missing key %s", want)
		}
	}
}

func TestAliases(t *testing.T) {
	for alias, key := range map[string]string{"returns": "ret", "stddev": "rolling_std", "bollinger": "bollinger_bands", "iv_skew_25d": "iv_skew25_delta"} {
		got, ok := Canonical(alias)
		if !ok || got != key {
			t.Errorf("Canonical(%s) = %s,%v want %s", alias, got, ok, key)
		}
	}
}

func TestResolveErrorsNameCulprit(t *testing.T) {
	cases := []struct {
		name   string
		params map[string]any
		want   string
	}{
		{"nope", nil, "unknown indicator: nope"},
		{"rsi", map[string]any{"perio": 3}, `unknown parameter "perio"`},
		{"rsi", map[string]any{"period": 2.5}, "period"},
		{"rsi", map[string]any{"period": 0}, "period"},
		{"dist_to_ema", map[string]any{"normalize": "bogus"}, "normalize"},
		{"bollinger", map[string]any{"num_std": "x"}, "num_std"},
	}
	for _, c := range cases {
		_, err := Resolve(c.name, c.params)
		if err == nil || !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Resolve(%s,%v) = %v, want ErrInvalid mentioning %q", c.name, c.params, err, c.want)
		}
	}
	sp, err := Resolve("keltner", map[string]any{"mult": 1.5, "window": 10.0, "version": 2})
	if err != nil || sp.Params["multiplier"] != 1.5 || sp.Params["window"] != 10 {
		t.Fatalf("keltner resolve = %+v, %v", sp, err)
	}
}

func TestParseSet(t *testing.T) {
	y := []byte(`
name: demo
version: 2
indicators:
  - rsi
  - {name: returns, window: 3}
  - name: bollinger
    window: 10
  - indicator: iv_skew_25d
`)
	s, err := ParseSet(y)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "demo" || s.Version != 2 || len(s.Indicators) != 4 {
		t.Fatalf("set = %+v", s)
	}
	if s.Indicators[1].Name != "ret" || s.Indicators[1].Params["window"] != 3 || s.Indicators[2].Name != "bollinger_bands" || s.Indicators[3].Name != "iv_skew25_delta" {
		t.Fatalf("resolved = %+v", s.Indicators)
	}
	js := []byte(`{"name":"j","version":1,"indicators":[{"name":"sma","window":5},{"name":"day_of_week"}]}`)
	_, err = ParseSet(js)
	if err == nil || !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "day_of_week") {
		t.Fatalf("unknown name error = %v", err)
	}
}

// FuzzParseSet: arbitrary documents never panic; errors are ErrInvalid.
func FuzzParseSet(f *testing.F) {
	for _, s := range []string{
		`{"name":"x","indicators":["rsi",{"name":"sma","window":3}]}`,
		"name: a\nindicators:\n  - {name: keltner, mult: 2}\n",
		`{"indicators":[{"name":"rsi","period":"7"}]}`,
		`{"indicators":[{"name":"rsi","period":1e308}]}`,
		`{"indicators":[null, 3, {"indicator": "ema"}]}`,
		"indicators: [[1]]", "- a", "", "version: x\nindicators: []",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSet(data)
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		for _, sp := range s.Indicators {
			if _, ok := Lookup(sp.Name); !ok {
				t.Fatalf("resolved unknown %s", sp.Name)
			}
		}
	})
}
