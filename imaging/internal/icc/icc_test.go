package icc

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/rampartdev/rampart/imaging/internal/icc/icctest"
	"github.com/rampartdev/rampart/internal/testenv"
)

func TestDefault(t *testing.T) {
	p := Default()
	if p.Description != "Chemical proof" || p.ColorSpace != "CMYK" || p.PCS != "Lab" || p.Class != "prtr" {
		t.Fatalf("default profile: %+v", p)
	}
	if cprt := string(p.Tag("cprt")); !strings.Contains(cprt, "public domain") {
		t.Errorf("copyright tag %q", cprt)
	}
	xf, err := NewTransform(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		cmyk [4]uint8
		rgb  [3]uint8
	}{
		{[4]uint8{0, 0, 0, 0}, [3]uint8{255, 255, 255}},
		{[4]uint8{255, 255, 255, 255}, [3]uint8{0, 0, 0}}, // black point compensation
	} {
		r, g, b := xf.CMYK(tt.cmyk[0], tt.cmyk[1], tt.cmyk[2], tt.cmyk[3])
		if [3]uint8{r, g, b} != tt.rgb {
			t.Errorf("CMYK %v -> %v, want %v", tt.cmyk, [3]uint8{r, g, b}, tt.rgb)
		}
	}
}

func TestCurve(t *testing.T) {
	gamma := []byte("curv\x00\x00\x00\x00\x00\x00\x00\x01\x02\x33") // gamma 2.2 (0x0233/256)
	table := []byte("curv\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x40\x00\xff\xff")
	srgb := []byte("para\x00\x00\x00\x00\x00\x03\x00\x00")
	for _, v := range []float64{2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045} {
		srgb = binary.BigEndian.AppendUint32(srgb, uint32(int32(math.Round(v*65536))))
	}
	tests := []struct {
		name string
		tag  []byte
		x    float64
		want float64
	}{
		{"identity", []byte("curv\x00\x00\x00\x00\x00\x00\x00\x00"), 0.3, 0.3},
		{"gamma", gamma, 0.5, math.Pow(0.5, float64(0x233)/256)},
		{"table", table, 0.25, 0.125 * float64(0x4000) / 65535 * 4},
		{"sRGB para", srgb, 0.5, math.Pow((0.5+0.055)/1.055, 2.4)},
		{"sRGB para, linear segment", srgb, 0.02, 0.02 / 12.92},
	}
	for _, tt := range tests {
		c, _, err := parseCurve(tt.tag)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := c.eval(tt.x); math.Abs(got-tt.want) > 1e-3 {
			t.Errorf("%s: f(%v) = %v, want %v", tt.name, tt.x, got, tt.want)
		}
	}
	for _, bad := range [][]byte{[]byte("curv\x00\x00\x00\x00\x00\x00\x00\x09\x00\x00"), []byte("para\x00\x00\x00\x00\x00\x09\x00\x00"), []byte("mft2\x00\x00\x00\x00\x00\x00\x00\x00")} {
		if _, _, err := parseCurve(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// lcmsProfiles are the profiles checked against Little CMS: the synthetic
// ones of each table type, the default, and Ghostscript's CMYK profiles
// when the machine has them (a v2 lut16 with a lut8 B2A, a v4 lut16 with
// an XYZ connection space).
func lcmsProfiles(t *testing.T) map[string][]byte {
	ps := map[string][]byte{
		"synthetic lut8":          icctest.CMYK(icctest.Lut8, 9, "lut8"),
		"synthetic lut16":         icctest.CMYK(icctest.Lut16, 9, "lut16"),
		"synthetic lutAtoB":       icctest.CMYK(icctest.LutAB, 9, "lutAtoB"),
		"synthetic lutAtoB (XYZ)": icctest.CMYK(icctest.LutABXYZ, 5, "lutAtoB XYZ"),
		"default":                 defaultCMYK,
	}
	for _, name := range []string{"default_cmyk.icc", "ps_cmyk.icc"} {
		if b, err := os.ReadFile("/usr/share/color/icc/ghostscript/" + name); err == nil {
			ps["ghostscript "+name] = b
		}
	}
	return ps
}

// TestA2BAgainstLittleCMS evaluates each profile's A2B0 at 300 CMYK values
// and compares the L*a*b* with Little CMS's (transicc, Debian's
// liblcms2-utils, into its v2 Lab profile, which involves no black point
// compensation): every element type (lut8, lut16, lutAtoB curves, CLUT, M
// curves, matrix; Lab and XYZ connection spaces) must agree within 0.2 ΔE (XYZ near black amplifies rounding).
func TestA2BAgainstLittleCMS(t *testing.T) {
	transicc := testenv.Command(t, "transicc")
	dir := t.TempDir()
	var in strings.Builder
	var pts [][]float64
	for i := range 300 {
		x := []float64{float64(i*37%101) / 100, float64(i*53%101) / 100, float64(i*71%101) / 100, float64(i*13%101) / 100}
		pts = append(pts, x)
		fmt.Fprintf(&in, "%g %g %g %g\n", 100*x[0], 100*x[1], 100*x[2], 100*x[3])
	}
	for name, b := range lcmsProfiles(t) {
		t.Run(name, func(t *testing.T) {
			p, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			l, err := parseLUT(p.Tag("A2B0"), 4)
			if err != nil {
				t.Fatal(err)
			}
			path := dir + "/" + strings.NewReplacer(" ", "-", "(", "", ")", "").Replace(name) + ".icc"
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(transicc, "-i", path, "-o", "*Lab2", "-t", "0", "-n")
			cmd.Stdin = strings.NewReader(in.String())
			out, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(strings.NewReader(string(out)))
			var worst, sum float64
			i := 0
			for sc.Scan() {
				var L, a, bb float64
				if _, err := fmt.Sscan(sc.Text(), &L, &a, &bb); err != nil || i >= len(pts) {
					continue // banner lines
				}
				L2, a2, b2 := xyzToLab(l.pcsXYZ(l.eval(pts[i]), p.PCS))
				d := math.Sqrt((L-L2)*(L-L2) + (a-a2)*(a-a2) + (bb-b2)*(bb-b2))
				sum += d
				worst = max(worst, d)
				i++
			}
			if i != len(pts) {
				t.Fatalf("transicc gave %d values for %d", i, len(pts))
			}
			t.Logf("ΔE to Little CMS over %d colours: mean %.4f, largest %.4f", i, sum/float64(i), worst)
			if worst > 0.2 {
				t.Errorf("largest ΔE %.4f > 0.2", worst)
			}
		})
	}
}

// hostile makes a profile with one A2B0 tag from a lut's bytes.
func hostile(a2b []byte) []byte {
	p := make([]byte, 128)
	copy(p[12:], "prtrCMYKLab ")
	copy(p[36:], "acsp")
	p = binary.BigEndian.AppendUint32(p, 1)
	p = append(p, "A2B0"...)
	p = binary.BigEndian.AppendUint32(p, 144)
	p = binary.BigEndian.AppendUint32(p, uint32(len(a2b)))
	p = append(p, a2b...)
	binary.BigEndian.PutUint32(p, uint32(len(p)))
	return p
}

// TestHostile checks that sizes declared by a profile are checked against
// its bytes before anything is allocated from them.
func TestHostile(t *testing.T) {
	mft2 := func(grid byte, entries uint16) []byte {
		t := []byte("mft2\x00\x00\x00\x00\x04\x03")
		t = append(t, grid, 0)
		t = append(t, make([]byte, 36)...)
		t = binary.BigEndian.AppendUint16(t, entries)
		t = binary.BigEndian.AppendUint16(t, entries)
		return append(t, make([]byte, 64)...)
	}
	mab := []byte("mAB \x00\x00\x00\x00\x04\x03\x00\x00")
	mab = binary.BigEndian.AppendUint32(mab, 32) // B at 32
	mab = append(mab, make([]byte, 8)...)
	mab = binary.BigEndian.AppendUint32(mab, 44) // CLUT at 44
	mab = append(mab, make([]byte, 4)...)
	mab = append(mab, "curv\x00\x00\x00\x00\xff\xff\xff\xff"...) // a curve of 2^32-1 entries
	grid := append(append([]byte{255, 255, 255, 255}, make([]byte, 12)...), 2, 0, 0, 0)
	tests := map[string][]byte{
		"CLUT of 255^4 points":        hostile(mft2(255, 2)),
		"curves of 4096 entries":      hostile(mft2(2, 4096)),
		"curves of 65535 entries":     hostile(mft2(2, 65535)),
		"lutAtoB curve of 2^32 - 1":   hostile(mab),
		"lutAtoB CLUT of 255^4":       hostile(append(append(mab[:44:44], grid...), make([]byte, 16)...)),
		"tag count 2^32 - 1":          append(append(append(make([]byte, 36), "acsp"...), make([]byte, 88)...), 0xff, 0xff, 0xff, 0xff),
		"header size beyond the data": hostile(nil)[:140],
	}
	binary.BigEndian.PutUint32(tests["tag count 2^32 - 1"], 132)
	for name, b := range tests {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		p, err := Parse(b)
		if err == nil {
			_, err = NewTransform(p)
		}
		runtime.ReadMemStats(&after)
		if err == nil || !(errors.Is(err, ErrInvalid) || errors.Is(err, ErrUnsupported)) {
			t.Errorf("%s: err = %v, want ErrInvalid or ErrUnsupported", name, err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
			t.Errorf("%s: allocated %d bytes", name, n)
		}
	}
}

// FuzzParse feeds arbitrary bytes to the parser and the transform
// builder: no panic, and a transform that is built converts.
func FuzzParse(f *testing.F) {
	f.Add(defaultCMYK)
	for _, k := range []icctest.Kind{icctest.Lut8, icctest.Lut16, icctest.LutAB, icctest.LutABXYZ} {
		b := icctest.CMYK(k, 3, "fuzz")
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			return
		}
		_ = p.IsSRGB()
		xf, err := NewTransform(p)
		if err != nil {
			return
		}
		for _, v := range []uint8{0, 1, 127, 254, 255} {
			if xf.Channels() == 4 {
				xf.CMYK(v, 255-v, v/2, v)
			} else {
				xf.RGB(v, 255-v, v/2)
			}
		}
	})
}
