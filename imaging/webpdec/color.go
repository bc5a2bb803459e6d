package webpdec

// VP8 stores BT.601 YCbCr in limited ("studio") range: luma 16 to 235,
// chroma 16 to 240 around 128 (RFC 6386 section 9.2, and libwebp converts
// so). Go's image.YCbCr and JPEG's JFIF use the same BT.601 matrix over
// the full 0-255 range, so a linear stretch of each plane turns one into
// the other: the RGB that libwebp computes from the limited-range samples
// (R = 1.164·(Y-16) + 1.596·(V-128), ...) is the RGB that
// color.YCbCrToRGB computes from the stretched ones, up to rounding and
// except where the stretched value leaves 0-255 (samples outside the
// nominal range, which RGB clamps anyway). x/image/webp returns the
// samples unstretched, which washes images out (golang/go#40173).
var lumaRange, chromaRange = rangeTables()

func rangeTables() (y, c [256]uint8) {
	for v := range 256 {
		// Rounded to nearest: (v-16)·255/219 and (v-128)·255/224 + 128.
		y[v] = clip255(int32((2*(v-16)*255 + 219) / (2 * 219)))
		if v < 16 {
			y[v] = 0
		}
		d := v - 128
		if d >= 0 {
			c[v] = clip255(int32(128 + (2*d*255+224)/(2*224)))
		} else {
			c[v] = clip255(int32(128 - (2*-d*255+224)/(2*224)))
		}
	}
	return y, c
}

// identity leaves samples as they are (tests compare limited-range planes).
var identity = func() (t [256]uint8) {
	for i := range t {
		t[i] = uint8(i)
	}
	return t
}()
