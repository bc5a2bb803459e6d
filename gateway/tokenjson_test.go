package gateway_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

// tokenRecordSeeds are records as Rampart writes them (json.Marshal), the
// bench's and variants encoding/json reads differently or refuses.
func tokenRecordSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	recs := []gateway.TokenRecord{
		{},
		{ID: "0123456789abcdef", Hash: gateway.HashToken("rpt_x"), Tenant: "acme", Scopes: []string{"read", "*"},
			Rate: 100, Period: gateway.Duration(time.Minute), Burst: 10,
			CreatedAt: time.Date(2026, 12, 2, 16, 0, 0, 123456789, time.UTC),
			ExpiresAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.FixedZone("", 3600)), Revoked: true, Note: "für Ünïcode"},
		{ID: "a", Scopes: []string{}, Rate: -1, Burst: 1 << 40},
		{Tenant: "<&>"}, // escaped by json.Marshal: left to encoding/json
	}
	var out [][]byte
	for _, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	for _, s := range []string{
		`{"id":"0123456789abcdef","hash":"ab","tenant":"bench","scopes":["*"],"rate":1000000,"period":"1s","burst":1000000,"created_at":"2026-12-02T16:00:00.000Z","expires_at":"0001-01-01T00:00:00Z","revoked":false}`,
		` { "id" : "a" , "period" : 1500 , "scopes" : [ "x" , "y" ] } `,
		`{"period":""}`, `{"period":"-1.5h"}`, `{"period":"1"}`, `{"period":1.5}`, `{"period":null}`,
		`{"ID":"a"}`, `{"id":"a","id":"b"}`, `{"id":"a\u0062"}`, `{"other":[1,{"x":null}],"id":"a"}`,
		`{"rate":01}`, `{"rate":-0}`, `{"rate":1e3}`, `{"rate":9223372036854775808}`, `{"rate":9223372036854775807}`, `{"rate":-9223372036854775808}`, `{"rate":-9223372036854775809}`, `{"period":-9223372036854775808}`, `{"rate":-}`, `{"rate":-01}`, `{"rate":"1"}`,
		`{"created_at":"2026-12-02"}`, `{"created_at":"2026-12-02T16:00:00+01:00"}`, `{"revoked":true}`,
		`{"revoked":tru}`, `{"scopes":null}`, `{"scopes":nul}`, `{"scopes":nullx}`, `{"id":null}`, `{"scopes":[1]}`, `{"note":"\xff"}`, `{"id":"a"} x`, `{"id":"a",}`,
		`{}`, ``, `null`, `[]`, `{"id":"a"`,
	} {
		out = append(out, []byte(s))
	}
	return out
}

// TestParseTokenRecord_fast checks that records as Rampart writes them
// take the decoder without reflection.
func TestParseTokenRecord_fast(t *testing.T) {
	seeds := tokenRecordSeeds(t)
	for _, b := range append(seeds[:3:3], seeds[4], seeds[5]) {
		if _, ok := gateway.DecodeTokenRecordFast(b); !ok {
			t.Errorf("not read without encoding/json: %s", b)
		}
	}
}

// FuzzParseTokenRecord checks that ParseTokenRecord agrees with
// json.Unmarshal into a zero TokenRecord on every input: the same record,
// an error exactly when it errs; and that what its own decoder reads,
// encoding/json reads the same.
func FuzzParseTokenRecord(f *testing.F) {
	for _, b := range tokenRecordSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want gateway.TokenRecord
		wantErr := json.Unmarshal(b, &want)
		got, err := gateway.ParseTokenRecord(b)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q: error %v, encoding/json's %v", b, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(*got, want) {
			t.Fatalf("%q:\n got %#v\nwant %#v", b, *got, want)
		}
		if fast, ok := gateway.DecodeTokenRecordFast(b); ok {
			if wantErr != nil {
				t.Fatalf("%q: read without encoding/json, which refuses it: %v", b, wantErr)
			}
			if !reflect.DeepEqual(fast, want) {
				t.Fatalf("%q: fast decoder:\n got %#v\nwant %#v", b, fast, want)
			}
		}
	})
}

// BenchmarkParseTokenRecord decodes a record as Rampart writes it, with
// ParseTokenRecord and with encoding/json.
func BenchmarkParseTokenRecord(b *testing.B) {
	rec := tokenRecordSeeds(b)[1]
	b.Run("ParseTokenRecord", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := gateway.ParseTokenRecord(rec); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var r gateway.TokenRecord
			if err := json.Unmarshal(rec, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
