// A module of its own, so the alternative inflater it measures stays out of
// rampart's go.mod: it earned no place there (see inflate_test.go).
module github.com/rampartdev/rampart/imaging/pngdec/testdata/inflatebench

go 1.26

require github.com/klauspost/compress v1.20.4
