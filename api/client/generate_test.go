package apiclient

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// TestGeneratedClientIsCurrent fails when api/openapi.yaml or
// api/oapi-codegen.yaml changed without `make api`: it generates the client
// into a temporary directory, with the committed configuration, and
// compares it with the committed client.gen.go. The configuration's output
// wins over -o, so the copy's output line points into the directory.
func TestGeneratedClientIsCurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, err := os.ReadFile("../oapi-codegen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "client.gen.go")
	outputLine := regexp.MustCompile(`(?m)^output: .*$`)
	if !outputLine.Match(cfg) {
		t.Fatal("api/oapi-codegen.yaml has no output line")
	}
	cfg = outputLine.ReplaceAll(cfg, []byte("output: "+out))
	if err := os.WriteFile(filepath.Join(dir, "oapi-codegen.yaml"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "tool", "oapi-codegen", "-config", filepath.Join(dir, "oapi-codegen.yaml"), "../openapi.yaml")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, msg)
	}
	fresh, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("client.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, committed) {
		t.Fatal("api/client/client.gen.go is stale: run `make api` and commit the result")
	}
}
