package jpegdec

import (
	"path/filepath"
	"testing"
)

// TestDecode_photos compares every photo in $RAMPART_PHOTOS (see
// /work/shared/bin/photos) with image/jpeg at 1/1 and with image/jpeg's
// decode box-averaged at 1/2, 1/4 and 1/8. Without RAMPART_PHOTOS the
// generated images of TestDecode_generated and TestDecode_cjpeg stand in.
func TestDecode_photos(t *testing.T) {
	files := photos(t)
	if files == nil {
		t.Skip("RAMPART_PHOTOS is not set")
	}
	if testing.Short() {
		files = files[:1]
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src := MustRead(t, f)
			full := checkFullScale(t, src)
			p := checkScaled(t, src, full, minScaledPSNR)
			t.Logf("%s: scaled PSNR vs box-averaged image/jpeg: 1/2 %.1f, 1/4 %.1f, 1/8 %.1f dB", describe(full), p[0], p[1], p[2])
		})
	}
}
