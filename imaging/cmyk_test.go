package imaging

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rampartdev/rampart/imaging/internal/icc/icctest"
	"github.com/rampartdev/rampart/imaging/jpegdec"
)

// cmykTIFF writes an uncompressed 8-bit CMYK TIFF (ink amounts, 0 = none),
// with an embedded ICC profile when prof is not nil.
func cmykTIFF(w, h int, pix, prof []byte) []byte {
	type entry struct {
		tag, typ uint16
		count    uint32
		value    uint32 // or offset
	}
	le := binary.LittleEndian
	b := []byte("II*\x00\x00\x00\x00\x00")
	pixOff := len(b)
	b = append(b, pix...)
	bpsOff := len(b)
	for range 4 {
		b = le.AppendUint16(b, 8)
	}
	iccOff := len(b)
	b = append(b, prof...)
	for len(b)%2 != 0 {
		b = append(b, 0)
	}
	entries := []entry{
		{256, 4, 1, uint32(w)}, {257, 4, 1, uint32(h)}, {258, 3, 4, uint32(bpsOff)},
		{259, 3, 1, 1}, {262, 3, 1, 5}, {273, 4, 1, uint32(pixOff)}, {277, 3, 1, 4},
		{278, 4, 1, uint32(h)}, {279, 4, 1, uint32(len(pix))}, {284, 3, 1, 1}, {332, 3, 1, 1},
	}
	if prof != nil {
		entries = append(entries, entry{34675, 7, uint32(len(prof)), uint32(iccOff)})
	}
	le.PutUint32(b[4:], uint32(len(b)))
	b = le.AppendUint16(b, uint16(len(entries)))
	for _, e := range entries {
		b = le.AppendUint16(b, e.tag)
		b = le.AppendUint16(b, e.typ)
		b = le.AppendUint32(b, e.count)
		if e.typ == 3 && e.count == 1 {
			b = le.AppendUint16(b, uint16(e.value))
			b = le.AppendUint16(b, 0)
		} else {
			b = le.AppendUint32(b, e.value)
		}
	}
	return le.AppendUint32(b, 0)
}

// cmykGrid is every combination of 9 levels per ink (6561 pixels, 81×81).
func cmykGrid() []byte {
	lv := []byte{0, 32, 64, 96, 128, 160, 192, 224, 255}
	var pix []byte
	for _, c := range lv {
		for _, m := range lv {
			for _, y := range lv {
				for _, k := range lv {
					pix = append(pix, c, m, y, k)
				}
			}
		}
	}
	return pix
}

// sharpSRGB converts each file in files (name to bytes) to raw sRGB with
// sharp (testdata/sharp/srgb.js) and returns the pixels by name.
func sharpSRGB(t *testing.T, files map[string][]byte) map[string][]byte {
	t.Helper()
	mods := sharpModules(t, sharpScript(t), t.TempDir())
	dir := t.TempDir()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script, err := filepath.Abs(filepath.Join("testdata", "sharp", "srgb.js"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", script, dir)
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sharp: %v\n%s", err, out)
	}
	rgb := map[string][]byte{}
	for name := range files {
		b, err := os.ReadFile(filepath.Join(dir, name+".rgb"))
		if err != nil {
			t.Fatal(err)
		}
		rgb[name] = b
	}
	return rgb
}

// cmykProfiles are the profiles the CMYK tests convert through: none
// (libvips' default CMYK profile) and a synthetic one of each A2B0 table
// type (internal/icc/icctest).
var cmykProfiles = map[string][]byte{
	"default":        nil,
	"lut8-v2":        icctest.CMYK(icctest.Lut8, 9, "Synthetic lut8"),
	"lut16-v2":       icctest.CMYK(icctest.Lut16, 9, "Synthetic lut16"),
	"lutAtoB-v4":     icctest.CMYK(icctest.LutAB, 9, "Synthetic lutAtoB"),
	"lutAtoB-XYZ-v4": icctest.CMYK(icctest.LutABXYZ, 5, "Synthetic lutAtoB XYZ"),
}

// TestSharpCMYKGrid converts every combination of 9 ink levels through
// each profile of cmykProfiles with sharp (Little CMS, perceptual intent)
// and with this package's colour engine, and compares the 8-bit sRGB
// values: the mean difference must be under 0.1/255 and none over 2
// (they differ only in rounding of the interpolated tables).
func TestSharpCMYKGrid(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Node's sharp (installed on first use)")
	}
	pix := cmykGrid()
	files := map[string][]byte{}
	for name, prof := range cmykProfiles {
		files[name+".tif"] = cmykTIFF(81, 81, pix, prof)
	}
	theirs := sharpSRGB(t, files)
	for _, name := range slices.Sorted(maps.Keys(cmykProfiles)) {
		col := colourOf(&header{cmyk: true, icc: cmykProfiles[name]})
		if name != "default" && !col.converted {
			t.Errorf("%s: embedded profile not used", name)
		}
		ref := theirs[name+".tif"]
		var sum, worst float64
		for i := 0; i < len(pix)/4; i++ {
			r, g, b := col.cmyk.CMYK(pix[4*i], pix[4*i+1], pix[4*i+2], pix[4*i+3])
			for c, v := range [3]uint8{r, g, b} {
				d := math.Abs(float64(v) - float64(ref[3*i+c]))
				sum += d
				worst = max(worst, d)
			}
		}
		mean := sum / float64(3*len(pix)/4)
		t.Logf("%-15s vs sharp: mean difference %.3f/255, largest %.0f", name, mean, worst)
		if mean > 0.1 || worst > 2 {
			t.Errorf("%s: mean difference %.3f/255 (want <= 0.1), largest %.0f (want <= 2)", name, mean, worst)
		}
	}
}

// adobeJPEG encodes ink amounts as an Adobe CMYK (transform 0, all four
// channels stored inverted) or YCCK (transform 2: the inks' complements
// as YCbCr, black inverted) baseline JPEG, four components at full
// resolution, the way Photoshop writes them (libjpeg's cjpeg cannot).
func adobeJPEG(m *image.CMYK, ycck bool, quality int) []byte {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	var planes [4]plane
	for i := range planes {
		planes[i] = newPlane(w, h)
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := m.CMYKAt(b.Min.X+x, b.Min.Y+y)
			o := y*w + x
			if ycck {
				yy, cb, cr := color.RGBToYCbCr(c.C, c.M, c.Y)
				planes[0].pix[o], planes[1].pix[o], planes[2].pix[o] = yy, cb, cr
			} else {
				planes[0].pix[o], planes[1].pix[o], planes[2].pix[o] = 255-c.C, 255-c.M, 255-c.Y
			}
			planes[3].pix[o] = 255 - c.K
		}
	}
	e := &blockEncoder{}
	q, mul := quantTables(quality)
	e.mul = mul
	buf := []byte{0xff, 0xd8}
	transform := byte(0)
	if ycck {
		transform = 2
	}
	buf = append(buf, 0xff, 0xee, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, transform)
	buf = append(buf, 0xff, 0xdb, 0, 67, 0)
	buf = append(buf, q[0][:]...)
	buf = append(buf, 0xff, 0xc0, 0, 8+3*4, 8, byte(h>>8), byte(h), byte(w>>8), byte(w), 4)
	for i := range 4 {
		buf = append(buf, byte(i+1), 0x11, 0)
	}
	buf = append(buf, 0xff, 0xc4, 0, byte(2+2*17+len(stdHuffman[0].vals)+len(stdHuffman[1].vals)))
	for i := range 2 {
		buf = append(buf, byte(i)<<4)
		buf = append(buf, stdHuffman[i].counts[:]...)
		buf = append(buf, stdHuffman[i].vals...)
	}
	buf = append(buf, 0xff, 0xda, 0, 6+2*4, 4)
	for i := range 4 {
		buf = append(buf, byte(i+1), 0)
	}
	buf = append(buf, 0, 63, 0)
	e.w.buf = buf
	var pred [4]int32
	for y := 0; y < h; y += 8 {
		for x := 0; x < w; x += 8 {
			for i := range planes {
				e.load(planes[i], x, y)
				pred[i] = e.encode(0, pred[i])
			}
		}
	}
	e.w.flush()
	return append(e.w.buf, 0xff, 0xd9)
}

// TestAdobeJPEG checks the test encoder against image/jpeg's decoder, so
// the YCCK files TestSharpCMYK makes are what they claim to be.
func TestAdobeJPEG(t *testing.T) {
	m := image.NewCMYK(image.Rect(0, 0, 24, 16))
	for i := range m.Pix {
		m.Pix[i] = uint8(i * 7 % 251)
	}
	for _, ycck := range []bool{false, true} {
		img, err := jpeg.Decode(bytes.NewReader(adobeJPEG(m, ycck, 100)))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := img.(*image.CMYK)
		if !ok {
			t.Fatalf("ycck %v: decoded as %T", ycck, img)
		}
		var worst float64
		for i := range m.Pix {
			worst = max(worst, math.Abs(float64(got.Pix[i])-float64(m.Pix[i])))
		}
		if worst > 8 {
			t.Errorf("ycck %v: ink amounts off by up to %.0f", ycck, worst)
		}
	}
}

// cmykInputs returns the CMYK JPEGs TestSharpCMYK compares: Go's
// video-001.cmyk.jpeg; RGB JPEGs made CMYK by sharp
// (sharp(photo).toColourspace('cmyk'), no profile): the photo set with
// RAMPART_PHOTOS, else Go's video-001.jpeg; each of those re-encoded as
// YCCK; and one carrying an embedded profile (the synthetic lutAtoB).
func cmykInputs(t *testing.T) map[string][]byte {
	t.Helper()
	script := sharpScript(t)
	src := os.Getenv(photosEnv)
	if src == "" {
		src = t.TempDir()
		if err := os.WriteFile(filepath.Join(src, "video-001.jpg"), mustRead(t, "video-001.jpeg"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mods := sharpModules(t, script, src)
	conv, err := filepath.Abs(filepath.Join("testdata", "sharp", "convert.js"))
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	dir := filepath.Join(base, "cmyk")
	cmd := exec.Command("node", conv, src, "cmyk", base)
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sharp making CMYK inputs: %v\n%s", err, out)
	}
	inputs := map[string][]byte{"video-001.cmyk.jpg": mustRead(t, "video-001.cmyk.jpeg")}
	names, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
	for i, n := range append(names, "video-001.cmyk.jpg") {
		b := inputs[n]
		if b == nil {
			if b, err = os.ReadFile(n); err != nil {
				t.Fatal(err)
			}
			inputs[filepath.Base(n)] = b
		}
		img, err := jpegdec.Decode(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		m, ok := img.(*image.CMYK)
		if !ok {
			t.Fatalf("%s: %T, not CMYK", n, img)
		}
		base := filepath.Base(n)
		inputs[base[:len(base)-len(filepath.Ext(base))]+".ycck.jpg"] = adobeJPEG(m, true, 95)
		if i == 0 {
			prof := cmykProfiles["lutAtoB-v4"]
			inputs["profile-lutAtoB.jpg"] = withJPEGSegment(adobeJPEG(m, false, 95), 0xE2, append([]byte("ICC_PROFILE\x00\x01\x01"), prof...))
		}
	}
	return inputs
}

// TestSharpCMYK compares thumbnails of CMYK and YCCK JPEGs with sharp's,
// which converts them through their embedded profile or libvips' default
// CMYK profile: each image's mean colour difference must be within 4/255.
//
//	RAMPART_PHOTOS=/tmp/photos go test -run SharpCMYK -v ./imaging
func TestSharpCMYK(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Node's sharp (installed on first use)")
	}
	script := sharpScript(t)
	inputs := cmykInputs(t)
	dir := t.TempDir()
	for name, b := range inputs {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	runSharp(t, script, dir, "smart", "--reps", "0", "--sizes", "128", "--out", out)
	var all []float64
	for _, name := range slices.Sorted(maps.Keys(inputs)) {
		res := mustThumbnails(t, inputs[name], Options{Sizes: []int{128}})
		ref, err := os.ReadFile(filepath.Join(out, "128", name))
		if err != nil {
			t.Fatal(err)
		}
		ours, theirs := MustDecode(t, res.Thumbnails[0].Data), MustDecode(t, ref)
		sim := "SSIM not compared (sizes differ by sharp's rounding)"
		if ob, tb := ours.Bounds(), theirs.Bounds(); ob != tb {
			// sharp's JPEG shrink-on-load may round the short edge the
			// other way (see compareWithSharp): compare the colours on
			// the common area.
			if d := ob.Size().Sub(tb.Size()); max(d.X, -d.X) > 1 || max(d.Y, -d.Y) > 1 {
				t.Fatalf("%s: %v, sharp %v", name, ob, tb)
			}
			common := ob.Intersect(tb)
			ours, theirs = crop(ours, common), crop(theirs, common)
		} else {
			sim = fmt.Sprintf("SSIM %.4f", ssim(t, ours, theirs))
		}
		d := meanRGBDiff(t, ours, theirs, 8)
		all = append(all, d)
		t.Logf("%-34s colour difference to sharp %.2f/255, %s%s", name, d, sim, profileNote(res))
		if d > 4 {
			t.Errorf("%s: colour difference to sharp %.2f/255, want <= 4", name, d)
		}
	}
	t.Logf("%d images: mean %.2f/255, largest %.2f", len(all), mean(all), slices.Max(all))
}

func crop(m image.Image, r image.Rectangle) image.Image {
	return m.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(r)
}

func profileNote(r *Result) string {
	if r.ColorProfile == "" {
		return ""
	}
	return fmt.Sprintf(" (profile %q, converted %v)", r.ColorProfile, r.ColorConverted)
}
