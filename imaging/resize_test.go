package imaging

import (
	"math/rand/v2"
	"testing"
)

func randomPlane(w, h int, seed uint64) plane {
	r := rand.New(rand.NewPCG(seed, 1))
	p := newPlane(w, h)
	for i := range p.pix {
		p.pix[i] = uint8(r.IntN(256))
	}
	return p
}

func TestBoxShrink(t *testing.T) {
	for _, tc := range []struct{ w, h, kx, ky int }{
		{16, 8, 2, 2}, {17, 9, 2, 2}, {31, 20, 3, 3}, {33, 17, 4, 4}, {40, 41, 5, 5}, {23, 19, 4, 1}, {23, 19, 1, 3}, {7, 5, 8, 8},
	} {
		src := randomPlane(tc.w, tc.h, uint64(tc.w*tc.h))
		got := boxShrink(src, tc.kx, tc.ky)
		dw, dh := (tc.w+tc.kx-1)/tc.kx, (tc.h+tc.ky-1)/tc.ky
		if got.w != dw || got.h != dh {
			t.Fatalf("%+v: size %dx%d, want %dx%d", tc, got.w, got.h, dw, dh)
		}
		for y := 0; y < dh; y++ {
			for x := 0; x < dw; x++ {
				var sum, n int
				for yy := y * tc.ky; yy < min((y+1)*tc.ky, tc.h); yy++ {
					for xx := x * tc.kx; xx < min((x+1)*tc.kx, tc.w); xx++ {
						sum += int(src.pix[yy*src.stride+xx])
						n++
					}
				}
				if want := uint8((sum + n/2) / n); got.pix[y*got.stride+x] != want {
					t.Fatalf("%+v: (%d,%d) = %d, want %d", tc, x, y, got.pix[y*got.stride+x], want)
				}
			}
		}
	}
}

func TestMakeWeights(t *testing.T) {
	for _, tc := range []struct {
		src, dst int
		scale    float64
	}{{100, 100, 1}, {100, 40, 2.5}, {1000, 128, 1000.0 / 128}, {7, 3, 7.0 / 3}, {50, 80, 50.0 / 80}, {5, 1, 5}} {
		aw := makeWeights(tc.src, tc.dst, tc.scale)
		for i := 0; i < tc.dst; i++ {
			var sum int32
			for _, w := range aw.w[i*aw.stride : i*aw.stride+aw.n[i]] {
				sum += w
			}
			if sum != weightOne {
				t.Errorf("%+v: output %d weights sum to %d, want %d", tc, i, sum, weightOne)
			}
			if aw.start[i] < 0 || aw.start[i]+aw.n[i] > tc.src {
				t.Errorf("%+v: output %d reads [%d,%d) outside the source", tc, i, aw.start[i], aw.start[i]+aw.n[i])
			}
		}
		if (tc.src == tc.dst) != aw.identity {
			t.Errorf("%+v: identity = %v", tc, aw.identity)
		}
	}
}

func TestResizePlane(t *testing.T) {
	// A flat plane stays flat at every scale and gap.
	flat := newPlane(97, 61)
	for i := range flat.pix {
		flat.pix[i] = 77
	}
	for _, size := range [][2]int{{97, 61}, {50, 31}, {10, 7}, {1, 1}, {33, 60}} {
		for _, gap := range []float64{sourceGap, cascadeGap} {
			out := resizePlane(flat, size[0], size[1], 97/float64(size[0]), 61/float64(size[1]), gap)
			for _, v := range out.pix[:out.w*out.h] {
				if v != 77 {
					t.Fatalf("flat 97x61 -> %v (gap %v): sample %d", size, gap, v)
				}
			}
		}
	}
	// A one-pixel checkerboard is pure Nyquist: any reduction must filter it
	// to mid-grey rather than alias it into patterns.
	cb := newPlane(200, 120)
	for y := 0; y < cb.h; y++ {
		for x := 0; x < cb.w; x++ {
			cb.pix[y*cb.stride+x] = uint8(255 * ((x + y) % 2))
		}
	}
	for _, size := range [][2]int{{100, 60}, {80, 48}, {33, 20}} {
		out := resizePlane(cb, size[0], size[1], 200/float64(size[0]), 120/float64(size[1]), sourceGap)
		for y := 2; y < out.h-2; y++ {
			for x := 2; x < out.w-2; x++ {
				if v := out.pix[y*out.stride+x]; v < 118 || v > 138 {
					t.Fatalf("checkerboard -> %v: (%d,%d) = %d, want about 128", size, x, y, v)
				}
			}
		}
	}
	// A horizontal ramp stays a ramp (Lanczos reproduces linear functions).
	ramp := newPlane(256, 4)
	for y := 0; y < ramp.h; y++ {
		for x := 0; x < ramp.w; x++ {
			ramp.pix[y*ramp.stride+x] = uint8(x)
		}
	}
	out := resizePlane(ramp, 64, 4, 4, 1, cascadeGap)
	for x := 4; x < 60; x++ {
		if v, want := int(out.pix[x]), 4*x+1; v < want-1 || v > want+1 {
			t.Errorf("ramp sample %d = %d, want %d±1", x, v, want)
		}
	}
}

// TestFixed8 checks that the eight-tap form of the weights used by the
// unrolled horizontal kernel gives exactly the dot products of the original
// taps and stays inside the source.
func TestFixed8(t *testing.T) {
	for _, tc := range []struct {
		src, dst int
		want     bool
	}{{1280, 1024, true}, {640, 512, true}, {100, 99, true}, {9, 8, true}, {1024, 512, false}, {7, 6, false}} {
		aw := makeWeights(tc.src, tc.dst, float64(tc.src)/float64(tc.dst))
		f, ok := aw.fixed8(tc.src)
		if ok != tc.want {
			t.Errorf("%+v: fixed8 ok = %v", tc, ok)
		}
		if !ok {
			continue
		}
		row := randomPlane(tc.src, 1, uint64(tc.src)).pix
		for i := range tc.dst {
			if f.start[i] < 0 || f.start[i]+8 > tc.src {
				t.Fatalf("%+v: output %d reads [%d, %d) of %d", tc, i, f.start[i], f.start[i]+8, tc.src)
			}
			var a, b int32
			for k, w := range aw.w[i*aw.stride : i*aw.stride+aw.n[i]] {
				a += w * int32(row[aw.start[i]+k])
			}
			for k, w := range f.w[8*i : 8*i+8] {
				b += w * int32(row[f.start[i]+k])
			}
			if a != b {
				t.Fatalf("%+v: output %d: eight taps give %d, original %d", tc, i, b, a)
			}
		}
	}
}

// BenchmarkResize resizes a 1280×800 4:2:0 picture to 1024×640, the step
// from a 2560×1600 photo decoded at 1/2 to the largest thumbnail.
//
//	go test -run '^$' -bench Resize -cpu 1 ./imaging
func BenchmarkResize(b *testing.B) {
	src := toPicture(synthetic(1280, 800, 3), nil)
	for b.Loop() {
		resizePicture(src, 1024, 640, sourceGap)
	}
}
