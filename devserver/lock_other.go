//go:build !unix

package devserver

import "os"

// tryLock takes no lock where flock does not exist: one dev server per data
// folder is then the user's to keep.
func tryLock(*os.File) error { return nil }
