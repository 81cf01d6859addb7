package thumb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// exifJPEG is a w×h JPEG, red in its top-left quarter, carrying EXIF
// orientation o (big-endian TIFF, as many cameras write).
func exifJPEG(t *testing.T, w, h, o int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{0, 0, 255, 255}
			if x < w/2 && y < h/2 {
				c = color.RGBA{255, 0, 0, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08\x00\x01")                      // header, IFD0 at 8 with one entry
	tiff = append(tiff, 0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0, byte(o), 0, 0) // Orientation, SHORT, 1, o
	tiff = append(tiff, 0, 0, 0, 0)                                           // no next IFD
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(app1[2:], uint16(len(seg)+2))
	raw := b.Bytes()
	return append(append(append([]byte{}, raw[:2]...), append(app1, seg...)...), raw[2:]...)
}

func TestOrientationIsReadAndTheThumbnailTurnedUpright(t *testing.T) {
	raw := exifJPEG(t, 640, 480, 6)
	if o := Orientation(bytes.NewReader(raw)); o != 6 {
		t.Fatalf("orientation %d, want 6", o)
	}
	if o := Orientation(bytes.NewReader(exifJPEG(t, 8, 8, 1)[:40])); o != 1 {
		t.Errorf("a cut-short file: %d", o)
	}
	cfg, err := Config(bytes.NewReader(raw), "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	out, err := New().Make(context.Background(), bytes.NewReader(raw), "image/jpeg", cfg, 6)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 240 || b.Dy() != 320 {
		t.Fatalf("thumbnail %v, want 240×320 (upright)", b)
	}
	// Turned a quarter clockwise, the red top-left lands top-right.
	if r, _, bl, _ := img.At(200, 40).RGBA(); r>>8 < 200 || bl>>8 > 60 {
		t.Errorf("top right is %v, want red", img.At(200, 40))
	}
	if r, _, _, _ := img.At(40, 40).RGBA(); r>>8 > 60 {
		t.Errorf("top left is %v, want blue", img.At(40, 40))
	}
}

func TestScaleKeepsTheAspectAndPutsTransparencyOnWhite(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 1000, 10))
	got := Scale(src, Size) // fully transparent
	if b := got.Bounds(); b.Dx() != 320 || b.Dy() != 3 {
		t.Errorf("scaled to %v", b)
	}
	if c := got.RGBAAt(5, 1); c != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("transparent became %v, want white", c)
	}
	if b := Scale(image.NewRGBA(image.Rect(0, 0, 100, 50)), Size).Bounds(); b.Dx() != 100 || b.Dy() != 50 {
		t.Errorf("a small picture became %v", b)
	}
}

// One picture at a time: a second Make waits for the first, and gives up
// when its request does.
func TestMakeDecodesOnePictureAtATime(t *testing.T) {
	m := New()
	m.slot <- struct{}{} // a decode in progress
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	raw := exifJPEG(t, 16, 16, 1)
	cfg, _ := Config(bytes.NewReader(raw), "image/jpeg")
	if _, err := m.Make(ctx, bytes.NewReader(raw), "image/jpeg", cfg, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("while another decodes: %v, want to wait and give up", err)
	}
	<-m.slot
	if _, err := m.Make(context.Background(), bytes.NewReader(raw), "image/jpeg", cfg, 1); err != nil {
		t.Errorf("with the slot free: %v", err)
	}
	if _, err := m.Make(context.Background(), bytes.NewReader(raw), "image/jpeg", image.Config{Width: 100_000, Height: 100_000}, 1); !errors.Is(err, ErrTooBig) {
		t.Errorf("a huge picture: %v", err)
	}
}

// A picture is bounded by what decoding it holds, not only by its pixel
// count: 40 megapixels of 16-bit PNG (320 MB) gets no thumbnail, where the
// same size at 8 bits is decoded.
func TestDecodeBudgetCountsBytesPerPixel(t *testing.T) {
	m := New()
	deep := image.Config{ColorModel: color.NRGBA64Model, Width: 8000, Height: 5000}
	if _, err := m.Make(context.Background(), bytes.NewReader(nil), "image/png", deep, 1); !errors.Is(err, ErrTooBig) {
		t.Errorf("a 16-bit 40 MP PNG: %v, want ErrTooBig", err)
	}
	flat := image.Config{ColorModel: color.NRGBAModel, Width: 8000, Height: 5000}
	if _, err := m.Make(context.Background(), bytes.NewReader(nil), "image/png", flat, 1); err == nil || errors.Is(err, ErrTooBig) {
		t.Errorf("an 8-bit 40 MP PNG: %v, want it tried (and failing on no bytes)", err)
	}
}
