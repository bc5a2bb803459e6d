//go:build race

package imaging

// raceEnabled reports a -race build (the detector makes decoding hundreds
// of megapixels take minutes).
const raceEnabled = true
