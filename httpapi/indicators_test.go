package httpapi_test

import (
	"testing"

	"sigmalab/httpapi/apitest"
)

func TestIndicatorRoutes(t *testing.T) {
	env := apitest.New(t)
	env.Run(t, []apitest.Scenario{
		{Name: "flat list with typed params", URL: "/indicators",
			Contains: []string{`"ok":true`, `"count":80`, `"name":"bollinger_bands","category":"band","subcategory":"bollinger"`,
				`{"name":"num_std","type":"float","default":2}`, `"name":"iv_skew25_delta"`, `"needs":["options"]`, `"needs":["ohlcv"]`,
				`{"name":"day_range_pos","category":"intraday","subcategory":"session_range","params":[]`},
			NotContains: []string{`"params":null`},
			Check: func(t *testing.T, body map[string]any) {
				list, _ := body["indicators"].([]any)
				if len(list) != 80 {
					t.Fatalf("%d indicators", len(list))
				}
				prev := ""
				for _, it := range list {
					m := it.(map[string]any)
					for _, k := range []string{"name", "category", "subcategory", "params", "doc", "needs"} {
						if _, ok := m[k]; !ok {
							t.Fatalf("%v lacks %s", m["name"], k)
						}
					}
					key := m["category"].(string) + "\x00" + m["subcategory"].(string) + "\x00" + m["name"].(string)
					if key < prev {
						t.Fatalf("not sorted at %v", m["name"])
					}
					prev = key
				}
			}},
		{Name: "grouped", URL: "/indicators?group=true",
			Contains:    []string{`"groups":{`, `"oscillator":{"general":["cci","fisher_transform","macd","ppo","rsi","stoch_rsi","stochastic","williams_r"]}`},
			NotContains: []string{`"indicators":[`}},
		{Name: "group accepts 1/yes", URL: "/indicators?group=yes", Contains: []string{`"groups":{`}},
		{Name: "bad bool is 422", URL: "/indicators?group=maybe", Status: 422, Contains: []string{`"loc":["query","group"]`, `"type":"bool_parsing"`}},
		{Name: "status", URL: "/indicators/status", Contains: []string{`"ok":true`, `"count":80`, `"load_errors":[]`}},
		{Name: "wrong method", Method: "POST", URL: "/indicators/status", Status: 405},
	})
}
