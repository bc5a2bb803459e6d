package imaging

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"testing"
)

// asImage wraps a picture (grey or 4:2:0) as the image type image/jpeg
// encodes from, without copying.
func asImage(p picture) image.Image {
	r := image.Rect(0, 0, p.w, p.h)
	if p.gray {
		return &image.Gray{Pix: p.y.pix, Stride: p.y.stride, Rect: r}
	}
	return &image.YCbCr{Y: p.y.pix, Cb: p.cb.pix, Cr: p.cr.pix, YStride: p.y.stride, CStride: p.cb.stride, SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: r}
}

// encodeStd is the oracle: image/jpeg's encoder on the same planes.
func encodeStd(tb testing.TB, p picture, quality int) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, asImage(p), &jpeg.Options{Quality: quality}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// planePSNR compares the samples of decoded JPEG d with the picture's
// planes (luma and, for colour, both chroma planes), in dB.
func planePSNR(tb testing.TB, p picture, d image.Image) float64 {
	tb.Helper()
	pairs := [][2]plane{}
	switch m := d.(type) {
	case *image.Gray:
		pairs = append(pairs, [2]plane{p.y, {pix: m.Pix, stride: m.Stride, w: p.w, h: p.h}})
	case *image.YCbCr:
		if m.SubsampleRatio != image.YCbCrSubsampleRatio420 || p.gray {
			tb.Fatalf("decoded %v, want 4:2:0", m.SubsampleRatio)
		}
		pairs = append(pairs,
			[2]plane{p.y, {pix: m.Y, stride: m.YStride, w: p.w, h: p.h}},
			[2]plane{p.cb, {pix: m.Cb, stride: m.CStride, w: p.cb.w, h: p.cb.h}},
			[2]plane{p.cr, {pix: m.Cr, stride: m.CStride, w: p.cr.w, h: p.cr.h}})
	default:
		tb.Fatalf("decoded %T", d)
	}
	var se float64
	var n int
	for _, pr := range pairs {
		for y := 0; y < pr[0].h; y++ {
			a, b := pr[0].row(y), pr[1].row(y)
			for x := range a {
				e := float64(a[x]) - float64(b[x])
				se += e * e
			}
			n += len(a)
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(n)/se)
}

// segment returns the payload of the first segment with marker m.
func segment(tb testing.TB, jpg []byte, m byte) []byte {
	tb.Helper()
	for i := 2; i+4 <= len(jpg); {
		if jpg[i] != 0xff {
			tb.Fatalf("no marker at %d", i)
		}
		n := int(jpg[i+2])<<8 | int(jpg[i+3])
		if jpg[i+1] == m {
			return jpg[i+4 : i+2+n]
		}
		if jpg[i+1] == 0xda {
			break
		}
		i += 2 + n
	}
	tb.Fatalf("no segment %#x", m)
	return nil
}

// TestEncodePlanes checks our encoder against image/jpeg's on the same
// planes: identical quantization tables, a decodable baseline JPEG of the
// right size and layout, the same fidelity to the source (PSNR within a
// small margin) and about the same size, at edge-cut sizes and across
// qualities, grey and colour.
func TestEncodePlanes(t *testing.T) {
	for _, gray := range []bool{false, true} {
		for _, sz := range [][2]int{{1, 1}, {7, 5}, {16, 16}, {17, 13}, {33, 31}, {250, 170}} {
			src := toPicture(synthetic(sz[0], sz[1], uint64(sz[0]*sz[1])), nil)
			if gray {
				src = picture{w: src.w, h: src.h, gray: true, y: src.y}
			}
			for _, q := range []int{1, 25, 50, 80, 95, 100} {
				t.Run(fmt.Sprintf("gray=%v/%dx%d/q%d", gray, sz[0], sz[1], q), func(t *testing.T) {
					ours, std := encodePlanes(src, q), encodeStd(t, src, q)
					// image/jpeg writes the chrominance table for grey too.
					if a, b := segment(t, ours, 0xdb), segment(t, std, 0xdb); !bytes.HasPrefix(b, a) || len(a) < 65 {
						t.Fatalf("DQT differs from image/jpeg's:\n ours % x\n std  % x", a, b)
					}
					d, err := jpeg.Decode(bytes.NewReader(ours))
					if err != nil {
						t.Fatalf("image/jpeg cannot decode our output: %v", err)
					}
					if d.Bounds() != image.Rect(0, 0, sz[0], sz[1]) {
						t.Fatalf("bounds %v", d.Bounds())
					}
					po := planePSNR(t, src, d)
					ps := planePSNR(t, src, MustDecode(t, std))
					// Both round their DCTs differently (ours is floating
					// point, image/jpeg's integer), which moves a few
					// coefficients by one step: on images of a block or
					// two that is worth up to a dB either way.
					margin := 0.25
					switch {
					case sz[0]*sz[1] < 1000:
						margin = 1.5
					case ps > 50: // near-lossless: decoder IDCT rounding
						margin = 0.5
					}
					if po < ps-margin {
						t.Errorf("PSNR vs source: ours %.2f dB, image/jpeg %.2f dB", po, ps)
					}
					// Sizes are compared where the scan, not the headers
					// (image/jpeg writes colour tables for grey too),
					// dominates.
					if r := float64(len(ours)) / float64(len(std)); sz[0] >= 250 && (r < 0.95 || r > 1.05) {
						t.Errorf("size: ours %d bytes, image/jpeg %d (%.3fx)", len(ours), len(std), r)
					}
				})
			}
		}
	}
}

// TestFDCT checks the AAN forward DCT, unscaled as quantTables does it,
// against the definition (T.81 A.3.3) on random blocks.
func TestFDCT(t *testing.T) {
	p := randomPlane(8, 8*20, 5)
	for i := 0; i < 20; i++ {
		var b [64]float32
		for k := range b {
			b[k] = float32(p.pix[64*i+k]) - 128
		}
		in := b
		fdct(&b)
		for v := 0; v < 8; v++ {
			for u := 0; u < 8; u++ {
				var want float64
				for y := 0; y < 8; y++ {
					for x := 0; x < 8; x++ {
						want += float64(in[y*8+x]) * math.Cos(float64(2*x+1)*float64(u)*math.Pi/16) * math.Cos(float64(2*y+1)*float64(v)*math.Pi/16)
					}
				}
				cu, cv := 1.0, 1.0
				if u == 0 {
					cu = 1 / math.Sqrt2
				}
				if v == 0 {
					cv = 1 / math.Sqrt2
				}
				want *= cu * cv / 4
				got := float64(b[v*8+u]) / (8 * float64(aanScale[u]) * float64(aanScale[v]))
				if math.Abs(got-want) > 0.01 {
					t.Fatalf("block %d F(%d,%d) = %.4f, want %.4f", i, u, v, got, want)
				}
			}
		}
	}
}

// TestEncodePlanes_stuffing encodes noise at quality 100, whose entropy-
// coded data is full of 0xFF bytes that must be stuffed, and checks the
// result decodes almost losslessly.
func TestEncodePlanes_stuffing(t *testing.T) {
	src := picture{w: 64, h: 48, gray: true, y: randomPlane(64, 48, 7)}
	out := encodePlanes(src, 100)
	if !bytes.Contains(out[len(segment(t, out, 0xc4)):], []byte{0xff, 0x00}) {
		t.Fatal("no stuffed byte in the scan: the test does not exercise stuffing")
	}
	if p := planePSNR(t, src, MustDecode(t, out)); p < 40 {
		t.Errorf("PSNR %.2f dB at quality 100", p)
	}
}

// BenchmarkEncode compares our encoder with image/jpeg's on a 1024×640
// 4:2:0 thumbnail.
//
//	go test -run '^$' -bench Encode -benchmem -cpu 1 ./imaging
func BenchmarkEncode(b *testing.B) {
	src := toPicture(synthetic(1024, 640, 3), nil)
	b.Run("imagejpeg", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			encodeStd(b, src, DefaultQuality)
		}
	})
	b.Run("rampart", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			encodePlanes(src, DefaultQuality)
		}
	})
}
