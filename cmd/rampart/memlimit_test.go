package main

import (
	"math"
	"testing"
)

func TestDevMemoryLimit(t *testing.T) {
	tests := []struct {
		flag, env string
		want      int64
		err       bool
	}{
		{"", "", defaultDevMemoryLimit, false},
		{"", "2GiB", 0, false}, // the runtime has applied GOMEMLIMIT
		{"512MiB", "2GiB", 512 << 20, false},
		{"3GB", "", 3e9, false},
		{"off", "1GiB", math.MaxInt64, false},
		{"0", "", 0, true},
		{"lots", "", 0, true},
	}
	for _, tt := range tests {
		got, err := devMemoryLimit(tt.flag, tt.env)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("devMemoryLimit(%q, %q) = %d, %v; want %d (error %v)", tt.flag, tt.env, got, err, tt.want, tt.err)
		}
	}
}
