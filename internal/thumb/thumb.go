// Package thumb makes small JPEG previews of JPEG and PNG photos, bounded in
// memory: the image's size is read from its header first and a picture of
// too many pixels is never decoded, and a Maker decodes one image at a time
// however many uploads ask at once.
package thumb

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
)

// MaxPixels bounds the pictures decoded: 50 megapixels (a phone's photo is
// 12 to 48), about 200 MB as RGBA, decoded one at a time.
const MaxPixels = 50_000_000

// MaxDecodedBytes bounds what decoding one picture may hold: pixels times
// what the picture's colour model keeps per pixel, so a 16-bit PNG or a
// progressive JPEG (which keeps its coefficients as well) counts for what it
// costs, not only for its pixel count.
const MaxDecodedBytes = 300 << 20

// Size is the longer side of a thumbnail, in pixels.
const Size = 320

// ErrTooBig means the picture has more pixels than MaxPixels: it gets no thumbnail.
var ErrTooBig = errors.New("picture too large to preview")

// Maker makes thumbnails one at a time. The zero value is not usable: New.
type Maker struct{ slot chan struct{} }

// New returns a Maker; one is shared by both stores so that at most one
// picture is decoded in the whole process at once.
func New() *Maker { return &Maker{slot: make(chan struct{}, 1)} }

// Config reads a JPEG's or PNG's dimensions from its header, without
// decoding its pixels.
func Config(r io.Reader, contentType string) (image.Config, error) {
	switch contentType {
	case "image/jpeg":
		return jpeg.DecodeConfig(r)
	case "image/png":
		return png.DecodeConfig(r)
	}
	return image.Config{}, errors.New("thumb: not a JPEG or PNG")
}

// bytesPerPixel is what decoding keeps per pixel, at worst. A JPEG's header
// does not say whether it is progressive, so every JPEG counts as one: its
// YCbCr samples (up to 3 bytes) and its 16-bit coefficients (up to 6).
func bytesPerPixel(cfg image.Config, contentType string) int64 {
	if contentType == "image/jpeg" {
		return 9
	}
	switch cfg.ColorModel {
	case color.GrayModel:
		return 1
	case color.Gray16Model:
		return 2
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := cfg.ColorModel.(color.Palette); ok {
		return 1
	}
	return 4
}

// Make decodes the picture in r (contentType image/jpeg or image/png, whose
// header said cfg) and returns a JPEG at most Size pixels on its longer side,
// turned upright as EXIF orientation o says (1: as stored). It waits for its
// turn, or for ctx to end.
func (m *Maker) Make(ctx context.Context, r io.Reader, contentType string, cfg image.Config, o int) ([]byte, error) {
	pixels := int64(cfg.Width) * int64(cfg.Height)
	if cfg.Width <= 0 || cfg.Height <= 0 || pixels > MaxPixels || pixels*bytesPerPixel(cfg, contentType) > MaxDecodedBytes {
		return nil, ErrTooBig
	}
	select {
	case m.slot <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-m.slot }()
	var src image.Image
	var err error
	switch contentType {
	case "image/jpeg":
		src, err = jpeg.Decode(r)
	case "image/png":
		src, err = png.Decode(r)
	default:
		return nil, errors.New("thumb: not a JPEG or PNG")
	}
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, Upright(Scale(src, Size), o), &jpeg.Options{Quality: 80}); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// Scale shrinks src so its longer side is at most size, averaging each
// destination pixel's box of source pixels (a box filter: plain, and good
// enough when shrinking by large factors), on white. A picture already
// small enough keeps its size.
func Scale(src image.Image, size int) *image.RGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dw, dh := sw, sh
	if sw > size || sh > size {
		if sw >= sh {
			dw, dh = size, max(1, sh*size/sw)
		} else {
			dw, dh = max(1, sw*size/sh), size
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < dh; y++ {
		y0, y1 := b.Min.Y+y*sh/dh, b.Min.Y+max((y+1)*sh/dh, y*sh/dh+1)
		for x := 0; x < dw; x++ {
			x0, x1 := b.Min.X+x*sw/dw, b.Min.X+max((x+1)*sw/dw, x*sw/dw+1)
			var r, g, bl, a, n uint64
			for sy := y0; sy < y1; sy++ {
				for sx := x0; sx < x1; sx++ {
					cr, cg, cb, ca := src.At(sx, sy).RGBA()
					r, g, bl, a, n = r+uint64(cr), g+uint64(cg), bl+uint64(cb), a+uint64(ca), n+1
				}
			}
			// Colours are alpha-premultiplied: adding what alpha leaves out
			// puts a transparent picture on white (JPEG has no alpha).
			white := 0xffff - a/n
			dst.SetRGBA(x, y, color.RGBA{uint8((r/n + white) >> 8), uint8((g/n + white) >> 8), uint8((bl/n + white) >> 8), 0xff})
		}
	}
	return dst
}
