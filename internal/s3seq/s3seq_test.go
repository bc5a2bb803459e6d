package s3seq_test

import (
	"testing"

	"github.com/rampartdev/rampart/internal/s3seq"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"55aed6dcd90281e5", "000000000000000055AED6DCD90281E5", true},
		{"0055AED6DCD90281E5", "000000000000000055AED6DCD90281E5", true},
		{"00000000000000000000000000000001", "00000000000000000000000000000001", true},
		{"", "", false},
		{"000000000000000000000000000000001", "", false}, // 33 digits
		{"55aed6dcd9028g", "", false},
		{"-1", "", false},
	} {
		got, err := s3seq.Normalize(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("Normalize(%q) = %q, %v; want %q, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"AA", "00AB", -1}, // padding decides, not string order
		{"0055AED6DCD90281E5", "55aed6dcd90281e5", 0},
		{"0055AED6DCD9028200", "0055AED6DCD90281E5", 1},
		{"617f0837b476e463", "617f08299329d189", 1},
		{"zz", "AA", 1}, // invalid: compared as strings
	} {
		if got := s3seq.Compare(tc.a, tc.b); got != tc.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
