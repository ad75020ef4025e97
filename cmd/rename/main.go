// Command rename changes the module path of this starter everywhere it
// appears (go.mod, Go imports, templ files, docs), for `make rename
// MODULE=example.com/acme/app`. Like gonew, it relies on the module path
// appearing only in go.mod and import paths.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./cmd/rename <new module path>   (or make rename MODULE=…)")
		os.Exit(2)
	}
	n, err := rename(".", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	fmt.Printf("renamed the module to %s in %d files; run `make generate` if you changed templ files, then `make test`\n", os.Args[1], n)
}

// rewritten are the files that may name the module: Go sources, templ
// views, docs and build files. Generated *_templ.go files are Go sources too.
var rewritten = regexp.MustCompile(`(\.go|\.templ|\.md|\.mod|Makefile|Dockerfile)$`)

// rename rewrites the module path of the tree at root and reports how many
// files changed.
func rename(root, newPath string) (int, error) {
	if err := module.CheckPath(newPath); err != nil {
		return 0, fmt.Errorf("%q is not a valid module path: %w", newPath, err)
	}
	gomod := filepath.Join(root, "go.mod")
	data, err := os.ReadFile(gomod)
	if err != nil {
		return 0, err
	}
	old := modfile.ModulePath(data)
	if old == "" {
		return 0, errors.New("go.mod has no module line")
	}
	if old == newPath {
		return 0, nil
	}
	// Match the path only as a whole import path or path prefix.
	re := regexp.MustCompile(regexp.QuoteMeta(old) + `(["/\s]|$)`)
	changed := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", ".data", "artifacts":
				return filepath.SkipDir
			}
			return nil
		}
		if !rewritten.MatchString(d.Name()) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out := re.ReplaceAllFunc(b, func(m []byte) []byte {
			return append([]byte(newPath), m[len(old):]...)
		})
		if bytes.Equal(out, b) {
			return nil
		}
		changed++
		return os.WriteFile(path, out, d.Type().Perm()|0o644)
	})
	if err != nil {
		return changed, err
	}
	if !strings.Contains(newPath, ".") {
		fmt.Fprintln(os.Stderr, "note: a module path without a dot in its first element cannot be fetched with go get")
	}
	return changed, nil
}
