package media

import (
	"fmt"
	"strings"
)

// SequencerWidth is the width normalised sequencers are padded to.
const SequencerWidth = 32

// NormalizeSequencer returns S3's hexadecimal sequencer left-padded with
// zeros to SequencerWidth and upper-cased, so that normalised sequencers of
// one key compare as strings (in DynamoDB condition expressions and SQL).
// S3 documents that sequencers of one key are comparable only after padding
// the shorter one with zeros on the left.
func NormalizeSequencer(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("media: missing sequencer")
	}
	if len(s) > SequencerWidth {
		return "", fmt.Errorf("media: sequencer %q is longer than %d digits", s, SequencerWidth)
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F') {
			return "", fmt.Errorf("media: sequencer %q is not hexadecimal", s)
		}
	}
	return strings.Repeat("0", SequencerWidth-len(s)) + strings.ToUpper(s), nil
}

// CompareSequencers compares two sequencers of the same key, normalised or
// not, and returns -1, 0 or +1. Invalid sequencers compare as strings.
func CompareSequencers(a, b string) int {
	na, errA := NormalizeSequencer(a)
	nb, errB := NormalizeSequencer(b)
	if errA != nil || errB != nil {
		na, nb = a, b
	}
	return strings.Compare(na, nb)
}
