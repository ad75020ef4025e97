// Package repotest copies the repository for tests that change it (the
// module rename, the resource scaffold) and runs the go command in the copy
// with the build flags of the running test binary, so the copy's builds
// reuse what `make test` already compiled instead of starting over.
package repotest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"example.com/saas/internal/devpg"
)

// Copy copies the tracked and untracked (not ignored) files of the
// repository into a fresh temporary directory and returns it.
func Copy(t testing.TB) string {
	t.Helper()
	root, err := devpg.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	dst := t.TempDir()
	for _, f := range strings.Split(strings.TrimRight(string(files), "\x00"), "\x00") {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue // deleted in the work tree
		}
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// Go runs `go <args>` in dir with env added, failing the test with the
// command's output. build, vet and test get the running binary's -race and
// -trimpath: with them, packages the copy did not change (and every
// dependency) come from the build cache.
func Go(t testing.TB, dir string, env []string, args ...string) {
	t.Helper()
	if len(args) > 0 && (args[0] == "build" || args[0] == "vet" || args[0] == "test") {
		args = append(append([]string{args[0]}, buildFlags(args[1:])...), args[1:]...)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Build compiles the repository's package pkg (for example "." for the
// app) into a temporary directory and returns the binary's path. With the
// test binary's flags, only the link is new work.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	root, err := devpg.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), filepath.Base(filepath.Join(root, pkg)))
	Go(t, root, nil, "build", "-o", bin, pkg)
	return bin
}

// buildFlags are the -race and -trimpath settings this test binary was
// built with, less those already in args.
func buildFlags(args []string) []string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	var flags []string
	for _, s := range info.Settings {
		if (s.Key == "-race" || s.Key == "-trimpath") && s.Value == "true" && !slices.Contains(args, s.Key) {
			flags = append(flags, s.Key)
		}
	}
	return flags
}
