package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"example.com/saas/internal/repotest"
)

// TestRenameBuildsAndVets renames a copy of the repository and checks that
// nothing names the old module any more and that the renamed tree builds
// and passes go vet (which compiles every test too).
func TestRenameBuildsAndVets(t *testing.T) {
	dst := repotest.Copy(t)
	oldPath := modulePath(t, dst)
	const newPath = "example.com/acme/renamed"
	n, err := rename(dst, newPath)
	if err != nil || n == 0 {
		t.Fatalf("rename = %d files, %v", n, err)
	}
	if got := modulePath(t, dst); got != newPath {
		t.Fatalf("go.mod module = %q", got)
	}
	grep := exec.Command("grep", "-rl", "--exclude-dir=.git", oldPath+"/", dst)
	if out, _ := grep.Output(); len(out) > 0 {
		t.Errorf("files still naming %s:\n%s", oldPath, out)
	}
	// vet type-checks every package and test; the build links nothing.
	repotest.Go(t, dst, nil, "vet", "./...")
	if n2, err := rename(dst, newPath); err != nil || n2 != 0 {
		t.Errorf("second rename to the same path changed %d files (%v), want 0", n2, err)
	}
	if _, err := rename(dst, "not a path"); err == nil {
		t.Error("invalid module path accepted")
	}
}

func modulePath(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "module ") {
			return strings.TrimSpace(strings.TrimPrefix(l, "module "))
		}
	}
	return ""
}
