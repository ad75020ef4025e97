package views

import (
	"os/exec"
	"testing"
)

// TestGeneratedCodeIsCurrent fails when a .templ file changed without
// `make templ`: templ's -check compares the committed *_templ.go files with
// what it would generate, without writing anything.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "tool", "templ", "generate", "-check", "-path", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("generated templ code is stale (run `make templ` and commit the result): %v\n%s", err, out)
	}
}
