package models_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

// TestProjectListUsesOrganizationIndex checks, by plan and never by timing,
// that the tenant project list stays an index lookup as tenants grow
// (docs/performance.md, Budget: scale): the statement GORM actually sends, run
// under EXPLAIN in the tenant's own transaction (tenant role, row-level
// security on), must read projects through an index whose first column is
// organization_id, and never with a sequential scan.
//
// 400 organizations x 25 projects (10,000 rows, ANALYZEd) is enough for the
// planner to prefer the index with its normal costs: enable_seqscan is
// left on, so a missing or unusable index fails the test.
func TestProjectListUsesOrganizationIndex(t *testing.T) {
	t.Parallel()
	db, _ := testenv.DB(t)
	if err := models.RegisterTenantGuard(db); err != nil {
		t.Fatal(err)
	}
	const orgs, perOrg = 400, 25
	seed := []string{
		fmt.Sprintf(`INSERT INTO organizations (id, name, slug) SELECT 'org_' || g, 'Org ' || g, 'org-' || g FROM generate_series(1, %d) g`, orgs),
		// Each organization's rows are spread over the whole table, as real
		// tenants' rows are.
		fmt.Sprintf(`INSERT INTO projects (organization_id, name, created_at)
SELECT 'org_' || o, 'Project ' || p, now() - make_interval(mins => p, secs => o)
FROM generate_series(1, %d) p, generate_series(1, %d) o ORDER BY p, o`, perOrg, orgs),
		`ANALYZE organizations, projects`,
	}
	for _, sql := range seed {
		if err := db.Exec(sql).Error; err != nil {
			t.Fatal(err)
		}
	}
	orgIndexes := organizationLedIndexes(t, db, "projects")
	if len(orgIndexes) == 0 {
		t.Fatal("projects has no index led by organization_id")
	}

	// Capture the statements GORM sends for projects.
	var sent []capturedSQL
	err := db.Callback().Query().After("gorm:query").Register("test:capture_sql", func(tx *gorm.DB) {
		if tx.Statement.Table == "projects" {
			sent = append(sent, capturedSQL{sql: tx.Statement.SQL.String(), vars: slices.Clone(tx.Statement.Vars)})
		}
	})
	if err != nil {
		t.Fatal(err)
	}

	ctx := models.WithTenant(context.Background(), models.Tenant{OrgID: "org_7", Slug: "org-7", UserID: "user_7", Role: models.RoleAdmin})
	var first models.Page[models.Project]
	err = models.InTenant(ctx, db, testenv.TenantRole, func(tx *gorm.DB) error {
		var err error
		first, err = models.ListProjects(ctx, tx, models.ListOptions{Limit: 10})
		return err
	})
	if err != nil || first.NextCursor == "" || len(first.Items) != 10 {
		t.Fatalf("first page = %d projects, cursor %q, %v; want 10 and a cursor", len(first.Items), first.NextCursor, err)
	}

	cases := []struct {
		name string
		opts models.ListOptions
	}{
		{"first page", models.ListOptions{}},
		{"next page", models.ListOptions{Limit: 10, Cursor: first.NextCursor}},
		{"search", models.ListOptions{Query: "project 1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sent = nil
			err := models.InTenant(ctx, db, testenv.TenantRole, func(tx *gorm.DB) error {
				if _, err := models.ListProjects(ctx, tx, c.opts); err != nil {
					return err
				}
				if len(sent) != 1 {
					return fmt.Errorf("captured %d statements on projects, want 1", len(sent))
				}
				plan, err := explain(ctx, tx, sent[0])
				if err != nil {
					return err
				}
				scans := plan.scansOf("projects")
				if len(scans) == 0 {
					return fmt.Errorf("plan reads no projects:\n%s", sent[0].sql)
				}
				for _, s := range scans {
					if s.NodeType == "Seq Scan" || !slices.Contains(orgIndexes, s.IndexName) {
						return fmt.Errorf("projects read by %s %q, want an index led by organization_id %v\nSQL: %s",
							s.NodeType, s.IndexName, orgIndexes, sent[0].sql)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

type capturedSQL struct {
	sql  string
	vars []any
}

// explain runs EXPLAIN (FORMAT JSON) of s in tx (the tenant transaction).
func explain(ctx context.Context, tx *gorm.DB, s capturedSQL) (*planNode, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var raw []byte
	if err := tx.Statement.ConnPool.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+s.sql, s.vars...).Scan(&raw); err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	var out []struct {
		Plan planNode `json:"Plan"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || len(out) == 0 {
		return nil, fmt.Errorf("explain output %q: %v", raw, err)
	}
	return &out[0].Plan, nil
}

// planNode is a node of EXPLAIN (FORMAT JSON).
type planNode struct {
	NodeType     string     `json:"Node Type"`
	RelationName string     `json:"Relation Name"`
	IndexName    string     `json:"Index Name"`
	Plans        []planNode `json:"Plans"`
}

// scansOf returns the plan's nodes that read table: scans name it in
// "Relation Name", except that a bitmap scan's Bitmap Heap Scan names the
// table and its Bitmap Index Scans (under it, maybe below a BitmapAnd or
// BitmapOr) name the indexes: those are returned instead.
func (n *planNode) scansOf(table string) []planNode {
	var out []planNode
	var walk func(p *planNode, inBitmap bool)
	walk = func(p *planNode, inBitmap bool) {
		switch {
		case p.NodeType == "Bitmap Heap Scan" && p.RelationName == table:
			inBitmap = true
		case p.NodeType == "Bitmap Index Scan" && inBitmap:
			out = append(out, *p)
		case p.RelationName == table:
			out = append(out, *p)
		}
		for i := range p.Plans {
			walk(&p.Plans[i], inBitmap)
		}
	}
	walk(n, false)
	return out
}

// organizationLedIndexes lists table's indexes whose first key column is
// organization_id.
func organizationLedIndexes(t *testing.T, db *gorm.DB, table string) []string {
	t.Helper()
	var names []string
	err := db.Raw(`
SELECT c.relname FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
WHERE i.indrelid = ?::regclass AND a.attname = 'organization_id'`, table).Scan(&names).Error
	if err != nil {
		t.Fatal(err)
	}
	return names
}
