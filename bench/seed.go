package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"example.com/saas/internal/clerkdev"
	"example.com/saas/internal/devpg"
	"example.com/saas/internal/stack"
)

// The benchmark's tenant: one user, admin of one organization. Fixed ids,
// so the scale mode can write the same rows with SQL.
const (
	benchUserID = "user_2benchuser0000000000000000"
	benchOrgID  = "org_2benchorg00000000000000000"
	benchSlug   = "bench"
	benchEmail  = "bench@example.com"
	// listSize is how many projects the list page shows (its page size).
	listSize = 20
)

func benchSeed() *clerkdev.Seed {
	return &clerkdev.Seed{
		Users:         []clerkdev.SeedUser{{ID: benchUserID, Email: benchEmail, FirstName: "Bench", LastName: "User"}},
		Organizations: []clerkdev.SeedOrganization{{ID: benchOrgID, Name: "Bench Co", Slug: benchSlug}},
		Memberships:   []clerkdev.SeedMembership{{Email: benchEmail, Slug: benchSlug, Role: "org:admin"}},
	}
}

// startEmulator serves the emulator with the bench seed, wired to the app
// at appURL ("" for none: no webhooks).
func startEmulator(ctx context.Context, appURL string) (*stack.Emulator, error) {
	return stack.StartEmulator(ctx, stack.EmulatorConfig{
		AppURL: appURL,
		Clerk: clerkdev.Config{
			Seed:          benchSeed(),
			RetrySchedule: []time.Duration{0, 100 * time.Millisecond, time.Second},
		},
	})
}

// mintToken creates a session for the bench user with the bench org active
// and returns a session token valid for ttl, and its iat.
func mintToken(ctx context.Context, emu *stack.Emulator, ttl time.Duration) (string, int64, error) {
	sessionID, err := emu.NewSession(ctx, benchUserID, benchOrgID)
	if err != nil {
		return "", 0, err
	}
	token, err := emu.SessionToken(ctx, sessionID, ttl)
	if err != nil {
		return "", 0, err
	}
	iat, err := issuedAt(token)
	return token, iat, err
}

// issuedAt reads iat from a token's payload without verifying it.
func issuedAt(token string) (int64, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return 0, fmt.Errorf("malformed token")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return 0, err
	}
	var c struct {
		Iat int64 `json:"iat"`
	}
	err = json.Unmarshal(b, &c)
	return c.Iat, err
}

// seedProjects writes n projects of the bench organization with SQL (as the
// superuser: row-level security does not apply), newest first by name.
func seedProjects(ctx context.Context, dbURL string, n int) error {
	return devpg.Exec(ctx, dbURL, `
INSERT INTO projects (organization_id, name, description, status, created_by, created_at, updated_at)
SELECT $1, format('Project %s', lpad(g::text, 3, '0')),
       format('Sample project %s: planning, tasks and the notes a team keeps while shipping it.', g),
       CASE WHEN g % 4 = 0 THEN 'archived' ELSE 'active' END, $2,
       now() - make_interval(mins => $3 - g), now() - make_interval(mins => $3 - g)
FROM generate_series(1, $3) g`, benchOrgID, benchUserID, n)
}

// settle vacuums and analyzes the freshly written tables and checkpoints,
// so neither autovacuum nor a checkpoint starts in the middle of a
// measured round (both would land on the two servers' rounds unevenly).
func settle(ctx context.Context, dbURL string) error {
	for _, stmt := range []string{"VACUUM ANALYZE", "CHECKPOINT"} {
		if err := devpg.Exec(ctx, dbURL, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return nil
}

// waitSynced waits until the app's webhook handler has written the bench
// user's membership.
func waitSynced(ctx context.Context, dbURL string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM memberships WHERE organization_id = $1 AND user_id = $2`, benchOrgID, benchUserID).Scan(&n)
		if err == nil && n == 1 {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the app did not sync the seeded membership from webhooks within 20s")
}

// checkPage verifies a list page shows want projects.
func checkPage(body []byte, want int) error {
	if n := bytes.Count(body, []byte(`data-testid="project-item"`)); n != want {
		return fmt.Errorf("page lists %d projects, want %d", n, want)
	}
	return nil
}

// checkAPI verifies an API list answers want projects.
func checkAPI(body []byte, want int) error {
	var v struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("API list: %w", err)
	}
	if len(v.Data) != want {
		return fmt.Errorf("API lists %d projects, want %d", len(v.Data), want)
	}
	return nil
}
