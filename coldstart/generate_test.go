package coldstart

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"
	"time"
)

func TestGenerate_deterministic(t *testing.T) {
	cfg := GenerateConfig{Seed: 5, Days: 1, DayRate: 0.1, MorningBurstRate: 0.02}
	var a, b bytes.Buffer
	sa, err := Generate(&a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sb, _ := Generate(&b, cfg)
	if sha256.Sum256(a.Bytes()) != sha256.Sum256(b.Bytes()) || sa != sb {
		t.Error("the same seed gave different logs")
	}
	var c bytes.Buffer
	Generate(&c, GenerateConfig{Seed: 6, Days: 1, DayRate: 0.1, MorningBurstRate: 0.02})
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("different seeds gave the same log")
	}
	if sa.Bytes != int64(a.Len()) || sa.Lines != int64(bytes.Count(a.Bytes(), []byte("\n"))) {
		t.Errorf("stats %+v do not match the output (%d bytes)", sa, a.Len())
	}
}

func TestGenerate_timeOrderAndFormats(t *testing.T) {
	for _, format := range []string{FormatText, FormatJSON, FormatMixed} {
		var buf bytes.Buffer
		st, err := Generate(&buf, GenerateConfig{Seed: 3, Days: 1, Format: format, TruncatedRate: -1, DayRate: 0.1, MorningBurstRate: 0.02})
		if err != nil {
			t.Fatal(err)
		}
		var prev int64
		var text, json int
		var ev Event
		for _, line := range bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n")) {
			ts, _, ok := parseTimestamp(line)
			if !ok {
				t.Fatalf("%s: line without timestamp: %s", format, line)
			}
			if ts < prev {
				t.Fatalf("%s: out of order: %s", format, line)
			}
			prev = ts
			switch ParseLine(line, &ev) {
			case LineMalformed:
				t.Fatalf("%s: malformed line with truncation off: %s", format, line)
			case LinePlatform:
				if ev.JSON {
					json++
				} else {
					text++
				}
			}
		}
		switch {
		case format == FormatText && json > 0, format == FormatJSON && text > 0, format == FormatMixed && (text == 0 || json == 0):
			t.Errorf("%s: %d text and %d JSON platform lines", format, text, json)
		}
		if st.Invocations == 0 || st.ColdStarts == 0 {
			t.Errorf("%s: %+v", format, st)
		}
	}
}

func TestGenerate_maxBytes(t *testing.T) {
	var buf bytes.Buffer
	st, err := Generate(&buf, GenerateConfig{MaxBytes: 3 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if st.Bytes > 3<<20 || st.Bytes < 3<<20-4096 || int64(buf.Len()) != st.Bytes {
		t.Errorf("wrote %d bytes (stats %d) for a 3 MiB limit", buf.Len(), st.Bytes)
	}
	if !strings.HasSuffix(buf.String(), "\n") {
		t.Error("the log ends in the middle of a line")
	}
	if st.First.Before(time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("first = %v", st.First)
	}
}
