package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampartdev/rampart/internal/testenv"
)

// TestDev_uploadRSS is the measurement behind the README's upload figure:
// it builds rampart, starts "rampart dev" as its own process, streams four
// concurrent uploads of RAMPART_UPLOAD_RSS_MIB (default 2048) MiB each, and
// reports the process's peak resident set (VmHWM), which must stay under
// 100 MB. It writes 4 x that size to a temporary folder, so it is not part
// of make test:
//
//	RAMPART_UPLOAD_RSS=1 go test -run TestDev_uploadRSS -v -timeout 30m ./cmd/rampart
func TestDev_uploadRSS(t *testing.T) {
	if os.Getenv("RAMPART_UPLOAD_RSS") == "" {
		t.Skip("set RAMPART_UPLOAD_RSS=1 to measure (writes 8 GiB to a temporary folder)")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc for the peak RSS")
	}
	mib := int64(2048)
	if v := os.Getenv("RAMPART_UPLOAD_RSS_MIB"); v != "" {
		mib, _ = strconv.ParseInt(v, 10, 64)
	}
	size := mib << 20
	goBin := testenv.Command(t, "go")
	bin := filepath.Join(t.TempDir(), "rampart")
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "dev", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--workers", "1",
		"--max-upload", strconv.FormatInt(size+1, 10))
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	base := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "listening" {
				base <- rec.Addr
			}
		}
	}()
	var url string
	select {
	case url = <-base:
	case <-time.After(3 * time.Minute): // a bound on a hang: a loaded machine starts the binary slowly
		t.Fatal("rampart dev did not start")
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/objects/uploads/big-%d.bin", url, i), io.LimitReader(zeroReader{}, size))
			req.ContentLength = size
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("upload %d: %v", i, err)
				return
			}
			res.Body.Close()
			if res.StatusCode != http.StatusCreated {
				t.Errorf("upload %d: %s", i, res.Status)
			}
		})
	}
	wg.Wait()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	var hwm int64
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			hwm, _ = strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	t.Logf("4 concurrent uploads of %d MiB in %s: peak RSS of rampart dev %.1f MB", mib, time.Since(start).Round(time.Second), float64(hwm)*1024/1e6)
	if hwm*1024 > 100e6 {
		t.Errorf("peak RSS %d kB, over 100 MB", hwm)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }
