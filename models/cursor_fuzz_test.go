package models

import (
	"testing"
	"time"
)

// FuzzDecodeCursor: any string either decodes to a valid (time, UUID) pair
// that encodes back to the same key, or is ErrInvalidCursor — never a panic
// and never an id that is not a UUID (which would reach SQL).
func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(time.Unix(1700000000, 123), "0b8d1e4c-5f7a-4a57-9d6b-2f1c0e9a8b7c"))
	f.Add("")
	f.Add("not base64!")
	f.Add("MjAyNi0wMS0wMVQwMDowMDowMFosJyBPUiAxPTEgLS0")
	f.Fuzz(func(t *testing.T, c string) {
		at, id, err := decodeCursor(c)
		if err != nil {
			if err != ErrInvalidCursor {
				t.Fatalf("error %v, want ErrInvalidCursor", err)
			}
			return
		}
		if !ValidID(id) {
			t.Fatalf("cursor %q decoded to invalid id %q", c, id)
		}
		at2, id2, err := decodeCursor(encodeCursor(at, id))
		if err != nil || !at2.Equal(at) || id2 != id {
			t.Fatalf("round trip of %q: %v %q %v", c, at2, id2, err)
		}
	})
}
