// Command precompress writes the .gz and .br siblings of the static files
// that the server sends compressed (static.Assets): once here, at the best
// settings, instead of on every request at a fast one. Run it from
// static/ (go generate ./static does) after the CSS or JavaScript changes;
// the siblings are committed like app.css.
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/andybalholm/brotli"
)

// minSize matches the dynamic compression threshold: below it the headers
// cost about what compression saves.
const minSize = 1024

// patterns are the served files worth compressing (favicon.svg is smaller
// than minSize).
var patterns = []string{"css/app.css", "js/*.js", "icons.svg"}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "precompress:", err)
		os.Exit(1)
	}
}

func run() error {
	for _, p := range patterns {
		names, err := filepath.Glob(p)
		if err != nil {
			return fmt.Errorf("glob %s: %w", p, err)
		}
		if len(names) == 0 {
			return fmt.Errorf("no file matches %s (run from static/)", p)
		}
		for _, name := range names {
			if err := compress(name); err != nil {
				return err
			}
		}
	}
	return nil
}

func compress(name string) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if len(b) < minSize {
		return nil
	}
	var gz bytes.Buffer
	// No name or time in the header: the same input gives the same file.
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("gzip %s: %w", name, err)
	}
	if err := write(zw, b); err != nil {
		return fmt.Errorf("gzip %s: %w", name, err)
	}
	var br bytes.Buffer
	if err := write(brotli.NewWriterLevel(&br, brotli.BestCompression), b); err != nil {
		return fmt.Errorf("brotli %s: %w", name, err)
	}
	for ext, out := range map[string][]byte{".gz": gz.Bytes(), ".br": br.Bytes()} {
		if err := os.WriteFile(name+ext, out, 0o644); err != nil {
			return fmt.Errorf("write %s%s: %w", name, ext, err)
		}
	}
	fmt.Printf("%-18s %7d bytes, gzip %6d, brotli %6d\n", name, len(b), gz.Len(), br.Len())
	return nil
}

func write(w io.WriteCloser, b []byte) error {
	if _, err := w.Write(b); err != nil {
		return err
	}
	return w.Close()
}
