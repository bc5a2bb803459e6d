package jsonc

import (
	"encoding/json"
	"testing"
)

func TestToJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"a": 1,}`:                       `{"a": 1 }`,
		`[1, 2 , ]`:                       `[1, 2   ]`,
		"{\"a\": \"x\\\"//y\", // c\n}":   "{\"a\": \"x\\\"//y\"      \n}",
		"/* a\nb */{}":                    "    \n    {}",
		`{"a": "/* not */", "b": [,]}`:    `{"a": "/* not */", "b": [ ]}`,
		`{"a": 1 /* unterminated`:         `{"a": 1                `,
		`{"a": "unterminated`:             `{"a": "unterminated`,
		`{"u": "\u0022,", "v": [1,/**/]}`: `{"u": "\u0022,", "v": [1     ]}`,
	} {
		if got := string(ToJSON([]byte(in))); got != want {
			t.Errorf("ToJSON(%q) = %q, want %q", in, got, want)
		}
	}
	var v map[string]any
	if err := json.Unmarshal(ToJSON([]byte("{\n // x\n \"k\": [1, 2,],\n}")), &v); err != nil || len(v["k"].([]any)) != 2 {
		t.Errorf("decoded %v, %v", v, err)
	}
}
