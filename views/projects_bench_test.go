package views

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"
)

// BenchmarkProjectsRender renders the project list page (layout included)
// with 20 projects, as listProjects does for every request.
func BenchmarkProjectsRender(b *testing.B) {
	p := Page{
		Title:  "Projects",
		User:   &UserNav{ID: "user_bench", Name: "Bench User", Email: "bench@example.com"},
		Org:    &OrgNav{Name: "Bench Co", Slug: "bench", Role: "admin", IsAdmin: true},
		Orgs:   []OrgNav{{Name: "Bench Co", Slug: "bench", Role: "admin", IsAdmin: true}, {Name: "Globex", Slug: "globex", Role: "member"}},
		Active: "projects",
	}
	v := ProjectListView{Slug: "bench", CanManage: true}
	for i := range 20 {
		status := "active"
		if i%4 == 3 {
			status = "archived"
		}
		v.Projects = append(v.Projects, ProjectItem{
			ID:          fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
			Name:        fmt.Sprintf("Project %03d", i+1),
			Description: fmt.Sprintf("Sample project %d: planning, tasks and the notes a team keeps while shipping it.", i+1),
			Status:      status,
			Updated:     At(time.Now().Add(-2 * time.Hour)),
		})
	}
	ctx := context.Background()
	var buf bytes.Buffer
	if err := Projects(p, v).Render(ctx, &buf); err != nil {
		b.Fatal(err)
	}
	if n := bytes.Count(buf.Bytes(), []byte(`data-testid="project-item"`)); n != 20 {
		b.Fatalf("rendered %d projects, want 20", n)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if err := Projects(p, v).Render(ctx, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
