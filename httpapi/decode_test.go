package httpapi

import (
	"errors"
	"net/http"
	"reflect"
	"testing"

	"sigmalab/engine/errs"
)

func TestDecodeJSONBytesStatuses(t *testing.T) {
	type body struct {
		ModelID    string     `json:"model_id"`
		Thresholds FloatList  `json:"thresholds"`
		Hours      StringList `json:"hours"`
		Splits     int        `json:"splits"`
	}
	cases := []struct {
		name string
		in   string
		bad  bool     // 400 bad_json
		loc  []string // 422 at loc
	}{
		{name: "ok", in: `{"model_id":"m","thresholds":"0.5,0.6","hours":[10,11]}`},
		{name: "empty", in: ` `},
		{name: "syntax", in: `{bad`, bad: true},
		{name: "truncated", in: `{"model_id":"m"`, bad: true},
		{name: "wrong type", in: `{"splits":"x"}`, loc: []string{"body", "splits"}},
		{name: "not a number in a list", in: `{"model_id":"m","thresholds":"a,b"}`, loc: []string{"body", "thresholds"}},
		{name: "NaN in a list", in: `{"thresholds":["NaN"]}`, loc: []string{"body", "thresholds"}},
		{name: "object list item", in: `{"hours":[{}]}`, loc: []string{"body", "hours"}},
	}
	for _, c := range cases {
		var b body
		err := DecodeJSONBytes([]byte(c.in), &b)
		var he *Error
		var ve *errs.Validation
		switch {
		case c.bad:
			if !errors.As(err, &he) || he.Status != http.StatusBadRequest || he.Code != "bad_json" {
				t.Errorf("%s: %v, want 400 bad_json", c.name, err)
			}
		case c.loc != nil:
			if !errors.As(err, &ve) || len(ve.Fields) != 1 || !reflect.DeepEqual(ve.Fields[0].Loc, c.loc) {
				t.Errorf("%s: %#v, want 422 at %v", c.name, err, c.loc)
			}
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
