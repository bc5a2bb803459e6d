// Package s3seq is the one definition of how S3 sequencers compare, shared
// by the media domain (which orders a key's events by them) and the
// idempotency engine (whose S3 keys contain them). It imports only the
// standard library, so the media domain stays free of the rest of the
// module.
//
// S3 gives each PUT and DELETE of a key a sequencer, a hexadecimal string
// that grows with every event of that key. S3 documents that two sequencers
// of one key compare as strings only after the shorter one is left-padded
// with zeros; their case is not specified.
package s3seq

import (
	"fmt"
	"strings"
)

// Width is the width Normalize pads sequencers to.
const Width = 32

// Normalize returns the hexadecimal sequencer s left-padded with zeros to
// Width digits and upper-cased, so that normalised sequencers of one key
// compare as strings (in Go, in SQL, in DynamoDB condition expressions). An
// empty sequencer, one longer than Width or one that is not hexadecimal is
// an error; its message has no package prefix, for the caller to add its
// own.
func Normalize(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("missing sequencer")
	}
	if len(s) > Width {
		return "", fmt.Errorf("sequencer %q is longer than %d digits", s, Width)
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F') {
			return "", fmt.Errorf("sequencer %q is not hexadecimal", s)
		}
	}
	return strings.Repeat("0", Width-len(s)) + strings.ToUpper(s), nil
}

// Compare compares two sequencers of one key, normalised or not, and
// returns -1, 0 or +1. When either is invalid the two compare as strings.
func Compare(a, b string) int {
	na, errA := Normalize(a)
	nb, errB := Normalize(b)
	if errA != nil || errB != nil {
		na, nb = a, b
	}
	return strings.Compare(na, nb)
}
