package media

import (
	"fmt"

	"github.com/rampartdev/rampart/internal/s3seq"
)

// SequencerWidth is the width normalised sequencers are padded to.
const SequencerWidth = s3seq.Width

// NormalizeSequencer returns S3's hexadecimal sequencer left-padded with
// zeros to SequencerWidth and upper-cased, so that normalised sequencers of
// one key compare as strings (in DynamoDB condition expressions and SQL).
// S3 documents that sequencers of one key are comparable only after padding
// the shorter one with zeros on the left. The idempotency engine's S3 keys
// normalise sequencers the same way (both use internal/s3seq).
func NormalizeSequencer(s string) (string, error) {
	n, err := s3seq.Normalize(s)
	if err != nil {
		return "", fmt.Errorf("media: %w", err)
	}
	return n, nil
}

// CompareSequencers compares two sequencers of the same key, normalised or
// not, and returns -1, 0 or +1. Invalid sequencers compare as strings.
func CompareSequencers(a, b string) int { return s3seq.Compare(a, b) }
