package middleware

import (
	"fmt"
	"net/http"

	"github.com/klauspost/compress/gzhttp"
)

// CompressMinSize is the smallest body compressed: below about 1 KB the
// encoding's framing and the CPU cost more than the bytes saved (health
// checks, 204s, short JSON errors go as they are).
const CompressMinSize = 1024

// compressibleTypes are the responses compressed on the fly: text the app
// renders. Everything else (images, archives, anything already compressed)
// goes as it is; so does a response that has a Content-Encoding already,
// such as static's precompressed files.
var compressibleTypes = []string{
	"text/html", "text/css", "text/plain", "text/javascript", "application/javascript",
	"application/json", "application/problem+json", "image/svg+xml",
}

// Compress returns a middleware that compresses responses with zstd or gzip,
// whichever the client accepts (zstd first: as small as gzip's best at a
// fraction of the CPU), streaming: the first CompressMinSize bytes are held
// to decide, the rest is compressed as it is written. Every response gets
// Vary: Accept-Encoding, since any of them could have been compressed.
//
// It is klauspost/compress's gzhttp, which also drops Content-Length (and
// Accept-Ranges) from what it compresses, leaves 204, 304 and HEAD answers
// alone, and honours q=0. Weak ETags (the API's) stay valid for every
// encoding.
func Compress() (func(http.Handler) http.Handler, error) {
	wrap, err := gzhttp.NewWrapper(
		gzhttp.MinSize(CompressMinSize),
		gzhttp.ContentTypes(compressibleTypes),
	)
	if err != nil {
		return nil, fmt.Errorf("compression middleware: %w", err)
	}
	return func(next http.Handler) http.Handler { return wrap(next) }, nil
}
