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
	// A 2000x1000 image (any PNG, JPEG, GIF or WebP bytes).
	m := image.NewGray(image.Rect(0, 0, 2000, 1000))
	for i := range m.Pix {
		m.Pix[i] = uint8(i % 251)
	}
	var src bytes.Buffer
	_ = png.Encode(&src, m)

	res, err := imaging.Thumbnails(context.Background(), src.Bytes(), &imaging.Options{Sizes: []int{1024, 128, 4096}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Format, res.Width, res.Height)
	for _, t := range res.Thumbnails {
		fmt.Println(t.Size, t.Width, t.Height, t.ContentType)
	}
	// Output:
	// png 2000 1000
	// 1024 1024 512 image/jpeg
	// 128 128 64 image/jpeg
	// 4096 2000 1000 image/jpeg
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
