package devserver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rampartdev/rampart/internal/datadir"
)

// ErrDataFolderInUse is returned (wrapped) by [Open] when another dev server
// (in this process or another) has the data folder open.
var ErrDataFolderInUse = errors.New("devserver: data folder in use by another rampart dev")

// A second dev server on one folder would break the first: its Open sweeps
// the bucket's temporary files and unreferenced bodies, which are the
// first's uploads in progress (an acknowledged upload could lose its body
// between its two renames), and replays the first's journal intents as if
// they were a crash's. So Open holds an exclusive lock on datadir.LockFile
// until Close; the kernel releases it when the process dies, SIGKILL
// included, so a crash never leaves the folder locked. Readers (rampart
// mcp, the dashboard, rampart tokens) take no lock.

// lockDataFolder takes the folder's lock without waiting and records this
// process's id in the lock file for the next one's error message.
func lockDataFolder(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, datadir.LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("devserver: lock the data folder: %w", err)
	}
	if err := tryLock(f); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		holder := ""
		if pid := strings.TrimSpace(string(b)); pid != "" {
			holder = " (pid " + pid + ")"
		}
		return nil, fmt.Errorf("%w%s: %s; stop it, or give this one another --data folder (%v)", ErrDataFolderInUse, holder, dir, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { f.Close() }, nil // closing the file releases the lock
}
