package imaging

import (
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"testing"
)

// The displayed picture: four quadrants of distinct colours, wider than tall,
// so a wrong rotation or mirror changes either the size or a corner.
var quadrantColours = [4]color.RGBA{ // top-left, top-right, bottom-left, bottom-right
	{220, 30, 30, 255}, {30, 200, 30, 255}, {30, 30, 220, 255}, {240, 240, 240, 255},
}

func quadrants(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			q := 0
			if x >= w/2 {
				q++
			}
			if y >= h/2 {
				q += 2
			}
			m.SetRGBA(x, y, quadrantColours[q])
		}
	}
	return m
}

// Primitive transforms, composed below into the inverse of each EXIF
// orientation (independently of the package's own mapping table).
func transpose(m *image.RGBA) *image.RGBA {
	b := m.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.SetRGBA(y, x, m.RGBAAt(x, y))
		}
	}
	return out
}

func flipH(m *image.RGBA) *image.RGBA {
	b := m.Bounds()
	out := image.NewRGBA(b)
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.SetRGBA(b.Dx()-1-x, y, m.RGBAAt(x, y))
		}
	}
	return out
}

func flipV(m *image.RGBA) *image.RGBA { return transpose(flipH(transpose(m))) }

// stored returns what a camera writes for displayed picture d under EXIF
// orientation o: the display transform's inverse applied to d.
func stored(d *image.RGBA, o int) *image.RGBA {
	switch o {
	case 2: // display mirrors horizontally
		return flipH(d)
	case 3: // display rotates 180°
		return flipH(flipV(d))
	case 4: // display mirrors vertically
		return flipV(d)
	case 5: // display transposes
		return transpose(d)
	case 6: // display rotates 90° clockwise, so stored is d rotated anticlockwise
		return flipV(transpose(d))
	case 7: // display transverses (rotate 180° of the transpose)
		return flipH(flipV(transpose(d)))
	case 8: // display rotates 90° anticlockwise, so stored is d rotated clockwise
		return flipH(transpose(d))
	}
	return d
}

// exifTIFF is a minimal TIFF block with IFD0 holding only Orientation.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

func exifTIFF(o int, bo byteOrder) []byte {
	b := make([]byte, 8, 26)
	if bo == binary.LittleEndian {
		copy(b, "II*\x00")
	} else {
		copy(b, "MM\x00*")
	}
	bo.PutUint32(b[4:], 8)
	b = bo.AppendUint16(b, 1)      // one entry
	b = bo.AppendUint16(b, 0x0112) // Orientation
	b = bo.AppendUint16(b, 3)      // SHORT
	b = bo.AppendUint32(b, 1)      // count
	b = bo.AppendUint16(b, uint16(o))
	b = bo.AppendUint16(b, 0)
	return bo.AppendUint32(b, 0) // no next IFD
}

// withJPEGSegment inserts a marker segment right after SOI.
func withJPEGSegment(jpg []byte, marker byte, payload []byte) []byte {
	seg := []byte{0xFF, marker, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

// withPNGChunk inserts a chunk right after IHDR (8-byte signature + 25-byte IHDR).
func withPNGChunk(p []byte, typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	c = binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
	out := append([]byte{}, p[:33]...)
	out = append(out, c...)
	return append(out, p[33:]...)
}

func checkQuadrants(t *testing.T, img image.Image, w, h int) {
	t.Helper()
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Fatalf("displayed size %dx%d, want %dx%d", b.Dx(), b.Dy(), w, h)
	}
	for q, p := range []image.Point{{w / 4, h / 4}, {3 * w / 4, h / 4}, {w / 4, 3 * h / 4}, {3 * w / 4, 3 * h / 4}} {
		assertColor(t, img.At(p.X, p.Y), quadrantColours[q], 12)
	}
}

func TestThumbnails_orientation(t *testing.T) {
	const w, h = 96, 64 // as displayed
	d := quadrants(w, h)
	for o := 1; o <= 8; o++ {
		bo := byteOrder(binary.BigEndian)
		if o%2 == 0 {
			bo = binary.LittleEndian
		}
		s := stored(d, o)
		src := withJPEGSegment(MustJPEG(t, s), 0xE1, append([]byte("Exif\x00\x00"), exifTIFF(o, bo)...))
		t.Run("JPEG/"+string(rune('0'+o)), func(t *testing.T) {
			res := mustThumbnails(t, src, Options{Sizes: []int{48, 200}})
			if res.Orientation != o || res.Width != w || res.Height != h {
				t.Errorf("result orientation %d size %dx%d, want %d %dx%d", res.Orientation, res.Width, res.Height, o, w, h)
			}
			small, full := res.Thumbnails[0], res.Thumbnails[1]
			if small.Width != 48 || small.Height != 32 {
				t.Errorf("48px thumbnail is %dx%d, want 48x32", small.Width, small.Height)
			}
			checkQuadrants(t, MustDecode(t, small.Data), 48, 32)
			checkQuadrants(t, MustDecode(t, full.Data), w, h)
		})
	}
	t.Run("PNG eXIf/6", func(t *testing.T) {
		src := withPNGChunk(MustPNG(t, stored(d, 6)), "eXIf", exifTIFF(6, binary.BigEndian))
		res := mustThumbnails(t, src, Options{Sizes: []int{48}})
		if res.Orientation != 6 {
			t.Errorf("orientation = %d, want 6", res.Orientation)
		}
		checkQuadrants(t, MustDecode(t, res.Thumbnails[0].Data), 48, 32)
	})
}
