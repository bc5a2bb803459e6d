package imaging

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/internal/testenv"
)

// The reference point is Node's sharp (libvips), driven by the shared script
// ../shared/bench/sharp/run (from the project root), which installs sharp in
// a cache folder on first use and prints one JSON line of figures.
var sharpRun = filepath.Join("..", "..", "shared", "bench", "sharp", "run")

// sharpScript returns the path of the sharp runner, or skips (fails in CI).
func sharpScript(tb testing.TB) string {
	tb.Helper()
	testenv.Command(tb, "node")
	p, err := filepath.Abs(sharpRun)
	if err == nil {
		_, err = os.Stat(p)
	}
	if err != nil {
		testenv.Missing(tb, fmt.Sprintf("sharp reference runner missing: %v", err))
	}
	return p
}

// sharpFigures is the JSON line thumbs.js prints.
type sharpFigures struct {
	Sharp           string  `json:"sharp"`
	Vips            string  `json:"vips"`
	Mode            string  `json:"mode"`
	Images          int     `json:"images"`
	Seconds         float64 `json:"seconds"`
	ImagesPerSecond float64 `json:"images_per_second"`
}

// runSharp runs the reference on dir and returns its figures; extra are more
// thumbs.js options (--out, --reps).
func runSharp(tb testing.TB, script, dir, mode string, extra ...string) sharpFigures {
	tb.Helper()
	cmd := exec.Command(script, append([]string{dir, "--mode", mode}, extra...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("sharp %s: %v", mode, err)
	}
	return parseFigures[sharpFigures](tb, out)
}

func parseFigures[T any](tb testing.TB, out []byte) T {
	tb.Helper()
	var f T
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &f); err != nil {
		tb.Fatalf("figures %q: %v", out, err)
	}
	return f
}

// qualityInputs writes the images to compare into a folder: the photo set
// when RAMPART_PHOTOS is set, otherwise generated JPEGs (landscape, and
// portrait stored sideways with EXIF orientation 6, so both pipelines must
// rotate).
func qualityInputs(tb testing.TB) string {
	tb.Helper()
	if dir := os.Getenv(photosEnv); dir != "" {
		return dir
	}
	dir := tb.TempDir()
	land := MustJPEG(tb, synthetic(2000, 1250, 11))
	side := withJPEGSegment(MustJPEG(tb, synthetic(1500, 1000, 12)), 0xE1,
		append([]byte("Exif\x00\x00"), exifTIFF(6, binary.BigEndian)...))
	for name, b := range map[string][]byte{"landscape.jpg": land, "portrait-exif6.jpg": side} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// TestSharpQuality compares our thumbnails with sharp's, in both of its
// modes (naive: the recipe's handler, one decode per size; smart: decode
// once, derive the smaller sizes), size by size: the mean luma SSIM must be
// at least 0.97. It uses the photo set when RAMPART_PHOTOS is set.
func TestSharpQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Node's sharp (installed on first use)")
	}
	script := sharpScript(t)
	dir := qualityInputs(t)
	names, err := filepath.Glob(filepath.Join(dir, "*.jp*g"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no inputs in %s: %v", dir, err)
	}
	slices.Sort(names)
	ours := map[string]*Result{}
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		ours[name] = mustThumbnails(t, src, Options{})
	}
	for _, mode := range []string{"naive", "smart"} {
		t.Run(mode, func(t *testing.T) {
			out := t.TempDir()
			runSharp(t, script, dir, mode, "--reps", "1", "--out", out)
			ssims := map[int][]float64{}
			for _, name := range names {
				for _, th := range ours[name].Thumbnails {
					ref, err := os.ReadFile(filepath.Join(out, strconv.Itoa(th.Size), filepath.Base(name)))
					if err != nil {
						t.Fatal(err)
					}
					ours, theirs := MustDecode(t, th.Data), MustDecode(t, ref)
					if ob, tb := ours.Bounds(), theirs.Bounds(); ob != tb {
						// sharp's JPEG shrink-on-load sometimes rounds the
						// short edge up (1000x1500 at 128 gives 86x128,
						// 85x128 from a PNG); we round like its PNG path.
						// Allow that pixel, skip the SSIM.
						if d := ob.Size().Sub(tb.Size()); max(d.X, -d.X) > 1 || max(d.Y, -d.Y) > 1 {
							t.Errorf("%s %d: our thumbnail is %v, sharp's %v", filepath.Base(name), th.Size, ob, tb)
						}
						t.Logf("%s %d: our thumbnail is %v, sharp's %v (rounding); not compared", filepath.Base(name), th.Size, ob, tb)
						continue
					}
					ssims[th.Size] = append(ssims[th.Size], ssim(t, ours, theirs))
				}
			}
			for _, size := range slices.Sorted(maps.Keys(ssims)) {
				v := ssims[size]
				var sum float64
				for _, s := range v {
					sum += s
				}
				mean := sum / float64(len(v))
				t.Logf("size %4d: SSIM vs sharp %s over %d images: mean %.4f, min %.4f", size, mode, len(v), mean, slices.Min(v))
				if mean < 0.97 {
					t.Errorf("size %d: mean SSIM %.4f < 0.97", size, mean)
				}
			}
		})
	}
}

// childEnv makes the test binary act as the Rampart side of
// BenchmarkCompareSharp (see TestThumbsProcess).
const childEnv = "RAMPART_IMAGING_THUMBS_DIR"

// TestThumbsProcess is not a test: BenchmarkCompareSharp runs the test
// binary with RAMPART_IMAGING_THUMBS_DIR set, under /usr/bin/time, to
// measure Rampart exactly as thumbs.js measures sharp (one warm-up image,
// then 3 repetitions over the set) and print the same JSON line.
func TestThumbsProcess(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		t.Skip("helper process for BenchmarkCompareSharp")
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.jp*g"))
	slices.Sort(names)
	var inputs [][]byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, b)
	}
	ctx := context.Background()
	one := func(src []byte) {
		if _, err := Thumbnails(ctx, src, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	one(inputs[0]) // warm-up, as thumbs.js
	start := time.Now()
	n := 0
	for range 3 {
		for _, src := range inputs {
			one(src)
			n++
		}
	}
	s := time.Since(start).Seconds()
	fmt.Printf("{\"tool\":\"rampart\",\"images\":%d,\"seconds\":%.3f,\"images_per_second\":%.2f}\n", n, s, float64(n)/s)
}

// usage is what /usr/bin/time -v reports.
type usage struct {
	maxRSSKB  int64
	cpuSecond float64 // user + system
}

var timeField = regexp.MustCompile(`(?m)^\s*(User time \(seconds\)|System time \(seconds\)|Maximum resident set size \(kbytes\)):\s*([0-9.]+)`)

// timed runs cmd under /usr/bin/time -v and returns its stdout and usage.
func timed(tb testing.TB, timeBin string, env []string, args ...string) ([]byte, usage) {
	tb.Helper()
	cmd := exec.Command(timeBin, append([]string{"-v"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("%v: %v\n%s", args, err, stderr.Bytes())
	}
	var u usage
	for _, m := range timeField.FindAllStringSubmatch(stderr.String(), -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		switch {
		case strings.HasPrefix(m[1], "Maximum"):
			u.maxRSSKB = int64(v)
		default:
			u.cpuSecond += v
		}
	}
	return out, u
}

// BenchmarkCompareSharp runs, in the same run and on the same photos,
// sharp naive, sharp smart and Rampart, each in its own process on one
// thread/core (sharp --threads 1; GOMAXPROCS=1), and reports for each the
// images per second (wall clock, as thumbs.js measures it), images per
// CPU-second (user+system: robust when the machine is shared) and peak RSS.
// It needs RAMPART_PHOTOS, node and /usr/bin/time (Debian "time"):
//
//	../shared/bin/photos /tmp/photos
//	RAMPART_PHOTOS=/tmp/photos go test -run '^$' -bench CompareSharp -benchtime 1x ./imaging
func BenchmarkCompareSharp(b *testing.B) {
	dir := os.Getenv(photosEnv)
	if dir == "" {
		b.Skip("set RAMPART_PHOTOS to a folder of photos (../shared/bin/photos DIR)")
	}
	script := sharpScript(b)
	timeBin, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		b.Skip("needs GNU time (/usr/bin/time, Debian package time)")
	}
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	type row struct {
		name   string
		ips    float64
		images int
		u      usage
	}
	var rows []row
	for b.Loop() {
		rows = rows[:0]
		for _, mode := range []string{"naive", "smart"} {
			out, u := timed(b, timeBin, nil, script, dir, "--mode", mode)
			f := parseFigures[sharpFigures](b, out)
			rows = append(rows, row{"sharp-" + mode, f.ImagesPerSecond, f.Images + 1 /* warm-up */, u})
		}
		// Go's heap grows to twice the live data by default; with a soft
		// memory limit (as a Lambda deployment should set from its memory
		// size) the collector runs earlier instead.
		for _, v := range []struct{ name, limit string }{{"rampart", ""}, {"rampart-memlimit256", "256MiB"}} {
			env := []string{childEnv + "=" + dir, "GOMAXPROCS=1", "GOMEMLIMIT=" + v.limit}
			if v.limit == "" {
				env[2] = "GOMEMLIMIT=off"
			}
			out, u := timed(b, timeBin, env, self, "-test.run=^TestThumbsProcess$", "-test.count=1")
			f := parseFigures[sharpFigures](b, firstJSON(out))
			rows = append(rows, row{v.name, f.ImagesPerSecond, f.Images + 1, u})
		}
	}
	for _, r := range rows {
		// CPU time includes process start-up and loading; it is charged to
		// the images, so images/cpu-s slightly understates everyone.
		cps := float64(r.images) / r.u.cpuSecond
		b.ReportMetric(r.ips, r.name+"-images/s")
		b.ReportMetric(cps, r.name+"-images/cpu-s")
		b.ReportMetric(float64(r.u.maxRSSKB)/1024, r.name+"-peak-MB")
		b.Logf("%-20s %6.2f images/s  %6.2f images/cpu-s  peak RSS %6.1f MB", r.name, r.ips, cps, float64(r.u.maxRSSKB)/1024)
	}
}

// firstJSON returns the first line of out that looks like a JSON object
// (the test binary may print PASS lines around it).
func firstJSON(out []byte) []byte {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if l := sc.Bytes(); len(l) > 0 && l[0] == '{' {
			return append([]byte(nil), l...)
		}
	}
	return out
}
