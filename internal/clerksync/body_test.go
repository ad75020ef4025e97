package clerksync

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// readBody reads the whole body, whatever Content-Length says, and never
// more than MaxWebhookBody+1 bytes (the caller refuses that as too large).
func TestReadBody(t *testing.T) {
	body := []byte(`{"type":"user.updated","data":{"id":"user_1"}}`)
	big := bytes.Repeat([]byte("x"), MaxWebhookBody+10)
	for _, tt := range []struct {
		name          string
		contentLength string
		body          []byte
		want          int
	}{
		{"no Content-Length", "", body, len(body)},
		{"exact", strconv.Itoa(len(body)), body, len(body)},
		{"declared shorter", "5", body, len(body)},
		{"declared longer", strconv.Itoa(len(body) + 100), body, len(body)},
		{"malformed", "x", body, len(body)},
		{"empty", "0", nil, 0},
		{"too large, declared", strconv.Itoa(len(big)), big, MaxWebhookBody + 1},
		{"too large, declared small", "10", big, MaxWebhookBody + 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.contentLength != "" {
				h.Set("Content-Length", tt.contentLength)
			}
			got, err := readBody(h, bytes.NewReader(tt.body))
			if err != nil || len(got) != tt.want || !bytes.Equal(got, tt.body[:tt.want]) {
				t.Fatalf("read %d bytes, %v; want the first %d", len(got), err, tt.want)
			}
		})
	}
	if _, err := readBody(http.Header{"Content-Length": {"3"}}, iotest.ErrReader(errors.New("broken"))); err == nil || !strings.Contains(err.Error(), "broken") {
		t.Errorf("a failing body: %v", err)
	}
}
