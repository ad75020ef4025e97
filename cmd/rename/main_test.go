package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRenameBuildsAndVets renames a copy of the repository and checks that
// nothing names the old module any more and that the renamed tree builds
// and passes go vet (which compiles every test too).
func TestRenameBuildsAndVets(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	files, err := exec.Command("git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, f := range strings.Fields(string(files)) {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue // deleted in the work tree
		}
		os.MkdirAll(filepath.Join(dst, filepath.Dir(f)), 0o755)
		if err := os.WriteFile(filepath.Join(dst, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
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
	for _, args := range [][]string{{"build", "./..."}, {"vet", "./..."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dst
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s after rename: %v\n%s", args[0], err, out)
		}
	}
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
