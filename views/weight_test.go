package views

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"example.com/saas/static"
)

// pageBudget is the most the 20-project list page may weigh as HTML,
// uncompressed (it was about 50 KB before the component classes and the sprite). Sizes are deterministic,
// so the budget is an assertion, not a benchmark.
const pageBudget = 20 << 10

// benchPage is the project list page as BenchmarkProjectsRender and the
// load test render it: a signed-in admin of one of two organizations, with
// n projects. Times are fixed so the bytes are the same on every run.
func benchPage(n int) (Page, ProjectListView) {
	p := Page{
		Title:  "Projects",
		User:   &UserNav{ID: "user_bench", Name: "Bench User", Email: "bench@example.com"},
		Org:    &OrgNav{Name: "Bench Co", Slug: "bench", Role: "admin", IsAdmin: true},
		Orgs:   []OrgNav{{Name: "Bench Co", Slug: "bench", Role: "admin", IsAdmin: true}, {Name: "Globex", Slug: "globex", Role: "member"}},
		Active: "projects",
		Assets: realAssets(),
	}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	v := ProjectListView{Slug: "bench", CanManage: true}
	for i := range n {
		status := "active"
		if i%4 == 3 {
			status = "archived"
		}
		v.Projects = append(v.Projects, ProjectItem{
			ID:          fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
			Name:        fmt.Sprintf("Project %03d", i+1),
			Description: fmt.Sprintf("Sample project %d: planning, tasks and the notes a team keeps while shipping it.", i+1),
			Status:      status,
			Updated:     Moment{At: now.Add(-2 * time.Hour), Now: now},
		})
	}
	return p, v
}

// realAssets are the app's own static files, so the measured page carries
// the URLs (hashed names) the app sends.
func realAssets() AssetURLs {
	a, err := static.NewAssets()
	if err != nil {
		panic(err)
	}
	return a
}

func renderProjects(t *testing.T, n int) []byte {
	t.Helper()
	p, v := benchPage(n)
	var buf bytes.Buffer
	if err := Projects(p, v).Render(WithAssets(context.Background(), p.Assets), &buf); err != nil {
		t.Fatal(err)
	}
	if got := bytes.Count(buf.Bytes(), []byte(`data-testid="project-item"`)); got != n {
		t.Fatalf("rendered %d projects, want %d", got, n)
	}
	return buf.Bytes()
}

func gzipSize(t *testing.T, b []byte) int {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Len()
}

// zstdSize is b's size as middleware.Compress sends it to a client that
// accepts zstd (gzhttp's default level, the fastest).
func zstdSize(t *testing.T, b []byte) int {
	t.Helper()
	zw, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		t.Fatal(err)
	}
	defer zw.Close()
	return len(zw.EncodeAll(b, nil))
}

// TestProjectsPageWeight measures the 20-project page, the bytes one more
// row adds and the shell around the rows (docs/performance.md quotes these
// figures), and holds the page to its budget.
func TestProjectsPageWeight(t *testing.T) {
	t.Parallel()
	page := renderProjects(t, 20)
	one := renderProjects(t, 1)
	perRow := (len(page) - len(one)) / 19
	shell := len(page) - 20*perRow
	t.Logf("20-project page: %d bytes HTML, %d gzip, %d zstd; %d bytes per row; shell %d bytes", len(page), gzipSize(t, page), zstdSize(t, page), perRow, shell)
	if len(page) > pageBudget {
		t.Errorf("the 20-project page is %d bytes, over its budget of %d", len(page), pageBudget)
	}
}
