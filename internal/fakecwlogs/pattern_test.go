package fakecwlogs

import "testing"

func TestMatch(t *testing.T) {
	line := `{"level":"WARN","msg":"object rejected","correlation_id":"REQ1","n":3,"lambda":{"requestId":"abc"}}`
	for _, tc := range []struct {
		pattern string
		want    bool
	}{
		{"", true},
		{`{ $.correlation_id = "REQ1" }`, true},
		{`{ $.correlation_id = "REQ2" }`, false},
		{`{ ($.correlation_id = "REQ2") || ($.requestId = "REQ1") }`, false},
		{`{ ($.correlation_id = "REQ2") || ($.lambda.requestId = "abc") }`, true},
		{`{ ($.correlation_id = "REQ1") && ($.level = "ERROR" || $.level = "WARN") }`, true},
		{`{ $.correlation_id = "REQ1" && $.level = "ERROR" }`, false},
		{`{ $.level != "INFO" }`, true},
		{`{ $.n = 3 }`, true},
		{`{ $.msg = "object*" }`, true},
		{`{ $.missing != "x" }`, false},
	} {
		got, err := Match(tc.pattern, line)
		if err != nil || got != tc.want {
			t.Errorf("Match(%s) = %v, %v; want %v", tc.pattern, got, err, tc.want)
		}
	}
	if ok, err := Match(`{ $.level = "INFO" }`, "START RequestId: 1"); ok || err != nil {
		t.Errorf("JSON pattern on a text line: %v, %v", ok, err)
	}
	for _, bad := range []string{`ERROR`, `{ $.a = }`, `{ ($.a = "x" }`, `{ a = "x" }`, `{ $.a == "x" }`, `{ $.a = "x }`} {
		if _, err := Match(bad, line); err == nil {
			t.Errorf("Match(%s): no error", bad)
		}
	}
}
