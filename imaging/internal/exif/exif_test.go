package exif

import (
	"encoding/binary"
	"testing"
)

// tiff builds a TIFF structure whose IFD0 holds one orientation entry of the
// given type (3 SHORT, 4 LONG).
func tiff(bo binary.AppendByteOrder, typ uint16, v uint32) []byte {
	t := []byte("II*\x00")
	if bo == binary.AppendByteOrder(binary.BigEndian) {
		t = []byte("MM\x00*")
	}
	t = bo.AppendUint32(t, 8)
	t = bo.AppendUint16(t, 1)
	t = bo.AppendUint16(t, 0x0112)
	t = bo.AppendUint16(t, typ)
	t = bo.AppendUint32(t, 1)
	if typ == 3 {
		t = bo.AppendUint16(t, uint16(v))
		t = bo.AppendUint16(t, 0)
	} else {
		t = bo.AppendUint32(t, v)
	}
	return bo.AppendUint32(t, 0)
}

func TestOrientation(t *testing.T) {
	valid := tiff(binary.BigEndian, 3, 6)
	tests := []struct {
		name string
		t    []byte
		want int
		ok   bool
	}{
		{"big-endian SHORT", valid, 6, true},
		{"little-endian SHORT", tiff(binary.LittleEndian, 3, 8), 8, true},
		{"LONG", tiff(binary.LittleEndian, 4, 3), 3, true},
		{"empty", nil, 0, false},
		{"short header", valid[:6], 0, false},
		{"bad byte order", append([]byte("XX"), valid[2:]...), 0, false},
		{"offset past end", append(append([]byte{}, valid[:4]...), 0xff, 0xff, 0xff, 0xf0), 0, false},
		{"offset into header", append(append([]byte{}, valid[:4]...), 0, 0, 0, 2), 0, false},
		{"entries past end", valid[:12], 0, false},
		{"value out of range", tiff(binary.BigEndian, 3, 9), 0, false},
		{"value zero", tiff(binary.BigEndian, 3, 0), 0, false},
		{"wrong type", tiff(binary.BigEndian, 7, 6), 0, false},
	}
	for _, tt := range tests {
		if got, ok := Orientation(tt.t); got != tt.want || ok != tt.ok {
			t.Errorf("%s: Orientation = %d, %v; want %d, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzOrientation(f *testing.F) {
	f.Add(tiff(binary.BigEndian, 3, 6))
	f.Add(tiff(binary.LittleEndian, 4, 2))
	f.Fuzz(func(t *testing.T, b []byte) {
		if o, ok := Orientation(b); ok != (o >= 1 && o <= 8) {
			t.Fatalf("Orientation = %d, %v", o, ok)
		}
	})
}
