package imaging

import (
	"crypto/sha256"
	"image/color"
	"sync"

	"github.com/rampartdev/rampart/imaging/internal/icc"
)

// colour is what a file's embedded ICC profile (or its absence) means for
// the thumbnails: the profile's name for Result.ColorProfile, and the
// transform to sRGB, nil when the pixels are taken as sRGB already.
type colour struct {
	name      string         // the profile's description when it is not sRGB
	rgb       *icc.Transform // RGB pixels to sRGB (applied per thumbnail)
	cmyk      *icc.Transform // CMYK ink amounts to sRGB (applied while decoding)
	converted bool
}

// colourOf reads the header's profile. CMYK always converts: through its
// embedded profile when that is a usable CMYK one, otherwise through
// libvips' default CMYK profile, as sharp does. An RGB profile that is not
// sRGB converts through its A2B0 table or its colorant matrix and curves;
// one that cannot be used (other colour spaces, a damaged table) is named
// and its pixels pass through as sRGB.
func colourOf(m *header) colour {
	var c colour
	var p *icc.Profile
	if m.icc != nil {
		if prof, err := icc.Parse(m.icc); err == nil && !prof.IsSRGB() && !m.srgb {
			p = prof
			c.name = prof.Description
			if c.name == "" {
				c.name = "unnamed " + prof.ColorSpace + " profile"
			}
		}
	}
	switch {
	case m.cmyk:
		if p != nil && p.ColorSpace == "CMYK" {
			if xf, err := transformFor(m.icc, p); err == nil {
				c.cmyk, c.converted = xf, true
				return c
			}
		}
		c.cmyk = defaultCMYK()
	case p != nil && p.ColorSpace == "RGB":
		if xf, err := transformFor(m.icc, p); err == nil {
			c.rgb, c.converted = xf, true
		}
	}
	return c
}

// defaultCMYK is the transform of libvips' default CMYK profile.
var defaultCMYK = sync.OnceValue(func() *icc.Transform {
	xf, err := icc.NewTransform(icc.Default())
	if err != nil {
		panic("imaging: default CMYK profile: " + err.Error())
	}
	return xf
})

// transforms caches the transforms of the last few embedded profiles
// (building one tabulates the profile: a few milliseconds), keyed by the
// profile's SHA-256: uploads from one source tend to carry the same one.
var transforms = struct {
	sync.Mutex
	keys [4][sha256.Size]byte
	xfs  [4]*icc.Transform
	next int
}{}

func transformFor(raw []byte, p *icc.Profile) (*icc.Transform, error) {
	key := sha256.Sum256(raw)
	transforms.Lock()
	for i, k := range transforms.keys {
		if k == key && transforms.xfs[i] != nil {
			xf := transforms.xfs[i]
			transforms.Unlock()
			return xf, nil
		}
	}
	transforms.Unlock()
	xf, err := icc.NewTransform(p)
	if err != nil {
		return nil, err
	}
	transforms.Lock()
	i := transforms.next
	transforms.keys[i], transforms.xfs[i] = key, xf
	transforms.next = (i + 1) % len(transforms.keys)
	transforms.Unlock()
	return xf, nil
}

// toSRGB converts a colour thumbnail (4:2:0 planes) with an RGB transform.
func toSRGB(xf *icc.Transform, p picture) picture {
	if p.gray {
		return p
	}
	return toYCbCr420(p.w, p.h, func(y int, dst []byte) {
		ly := p.y.row(y)
		cy := y / p.fy
		for x := range ly {
			ci := cy*p.cb.stride + x/p.fx
			r, g, b := color.YCbCrToRGB(ly[x], p.cb.pix[ci], p.cr.pix[ci])
			dst[3*x], dst[3*x+1], dst[3*x+2] = xf.RGB(r, g, b)
		}
	})
}
