//go:build race

package devserver_test

// raceEnabled reports a -race build, in which decoding runs several times
// slower.
const raceEnabled = true
