package imaging_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"

	"github.com/rampartdev/rampart/imaging"
)

func ExampleThumbnails() {
	// An 800x400 image (any PNG, JPEG, GIF or WebP bytes).
	m := image.NewGray(image.Rect(0, 0, 800, 400))
	for i := range m.Pix {
		m.Pix[i] = uint8(i % 251)
	}
	var src bytes.Buffer
	_ = png.Encode(&src, m)

	res, err := imaging.Thumbnails(context.Background(), src.Bytes(), &imaging.Options{Sizes: []int{512, 128, 4096}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Format, res.Width, res.Height)
	for _, t := range res.Thumbnails {
		fmt.Println(t.Size, t.Width, t.Height, t.ContentType)
	}
	// Output:
	// png 800 400
	// 512 512 256 image/jpeg
	// 128 128 64 image/jpeg
	// 4096 800 400 image/jpeg
}

func ExampleRejectError() {
	_, err := imaging.Thumbnails(context.Background(), []byte("%PDF-1.7 ..."), nil)
	var rej *imaging.RejectError
	if errors.As(err, &rej) {
		fmt.Println("rejected:", rej.Reason)
		fmt.Println("unsupported:", errors.Is(err, imaging.ErrUnsupported))
	}
	// Output:
	// rejected: PDF document is not an image
	// unsupported: true
}

func ExampleSniff() {
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1)))
	format, err := imaging.Sniff(b.Bytes()[:imaging.SniffLen])
	fmt.Println(format, err)
	// Output: png <nil>
}
