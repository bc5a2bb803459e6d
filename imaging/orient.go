package imaging

// orientedSize returns the displayed size of a w×h image stored with EXIF
// orientation o: orientations 5 to 8 swap width and height.
func orientedSize(w, h, o int) (int, int) {
	if o >= 5 && o <= 8 {
		return h, w
	}
	return w, h
}

// orientPlane returns the plane as it is to be displayed under EXIF
// orientation o (1 = as stored). For each displayed pixel (x, y):
//
//	1 S(x, y)          2 S(W-1-x, y)       (mirror)
//	3 S(W-1-x, H-1-y)  4 S(x, H-1-y)       (rotate 180, flip)
//	5 S(y, x)          6 S(y, H-1-x)       (transpose, rotate 90° clockwise)
//	7 S(W-1-y, H-1-x)  8 S(W-1-y, x)       (transverse, rotate 90° anticlockwise)
//
// where S is the stored plane, W×H its size.
func orientPlane(s plane, o int) plane {
	if o <= 1 || o > 8 {
		return s
	}
	W, H := s.w, s.h
	dw, dh := orientedSize(W, H, o)
	d := newPlane(dw, dh)
	for y := 0; y < dh; y++ {
		out := d.row(y)
		switch o {
		case 2, 3, 4:
			sy := y
			if o != 2 {
				sy = H - 1 - y
			}
			in := s.row(sy)
			if o == 4 {
				copy(out, in)
				continue
			}
			for x := range out {
				out[x] = in[W-1-x]
			}
		default: // 5..8: a displayed row is a stored column
			sx := y
			if o == 7 || o == 8 {
				sx = W - 1 - y
			}
			for x := range out {
				sy := x
				if o == 6 || o == 7 {
					sy = H - 1 - x
				}
				out[x] = s.pix[sy*s.stride+sx]
			}
		}
	}
	return d
}

// orientPicture applies EXIF orientation o to every plane.
func orientPicture(p picture, o int) picture {
	if o <= 1 || o > 8 {
		return p
	}
	out := p
	out.w, out.h = orientedSize(p.w, p.h, o)
	out.y = orientPlane(p.y, o)
	if !p.gray {
		out.cb, out.cr = orientPlane(p.cb, o), orientPlane(p.cr, o)
		if o >= 5 {
			out.fx, out.fy = p.fy, p.fx
		}
	}
	return out
}
