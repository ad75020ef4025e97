package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

// TestMembershipRequestWalls: userB asks to join A, written as A's tenant:
// one pending request however often; B's own transaction sees none of it,
// cannot decide it (not found) nor plant one in A; the tenant role may not
// delete requests; once decided, deciding again is ErrDecided.
func TestMembershipRequestWalls(t *testing.T) {
	t.Parallel()
	db, _, ctxB := tenantFixture(t)
	asker := models.WithTenant(context.Background(), models.Tenant{OrgID: orgA, UserID: userB})
	in := func(ctx context.Context, fn func(tx *gorm.DB) error) error {
		return models.InTenant(ctx, db, testenv.TenantRole, fn)
	}
	var id string
	for range 2 {
		if err := in(asker, func(tx *gorm.DB) error {
			got, created, err := models.RequestMembership(asker, tx)
			if created {
				id = got
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if n := rawCount(t, db, "membership_requests", orgA); n != 1 || id == "" {
		t.Fatalf("A has %d requests (id %q), want 1", n, id)
	}

	err := in(ctxB, func(tx *gorm.DB) error {
		if reqs, err := models.PendingRequests(ctxB, tx); err != nil || len(reqs) != 0 {
			t.Errorf("B sees requests %v, %v", reqs, err)
		}
		var n int64
		tx.Raw("SELECT count(*) FROM membership_requests").Scan(&n)
		if n != 0 {
			t.Errorf("B's raw count = %d, want 0", n)
		}
		_, err := models.DecideRequest(ctxB, tx, id, models.RequestAccepted)
		if !errors.Is(err, models.ErrNotFound) {
			t.Errorf("B decides A's request: %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var pgErr *pgconn.PgError
	err = in(ctxB, func(tx *gorm.DB) error {
		return tx.Exec("INSERT INTO membership_requests (organization_id, user_id) VALUES (?, ?)", orgA, userB).Error
	})
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		t.Errorf("B plants a request in A: %v, want 42501", err)
	}
	err = in(asker, func(tx *gorm.DB) error { return tx.Exec("DELETE FROM membership_requests").Error })
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		t.Errorf("tenant deletes requests: %v, want permission denied", err)
	}

	ctxA := models.WithTenant(context.Background(), models.Tenant{OrgID: orgA, UserID: userA, Role: models.RoleAdmin})
	for i, want := range []error{nil, models.ErrDecided} {
		err := in(ctxA, func(tx *gorm.DB) error {
			_, err := models.DecideRequest(ctxA, tx, id, models.RequestRejected)
			return err
		})
		if !errors.Is(err, want) && (want != nil || err != nil) {
			t.Errorf("decision %d: %v, want %v", i, err, want)
		}
	}
	var status string
	err = in(asker, func(tx *gorm.DB) error {
		var err error
		status, err = models.MembershipRequestStatus(asker, tx)
		return err
	})
	if err != nil || status != models.RequestRejected {
		t.Errorf("the asker's status = %q, %v; want rejected", status, err)
	}
}

// TestSuggestionsFor: A's verified example.com in automatic_suggestion
// mode suggests A to userB (at example.com, not a member), never to A's
// member; an unverified, other-mode or deleted domain suggests nothing.
func TestSuggestionsFor(t *testing.T) {
	t.Parallel()
	db, _, _ := tenantFixture(t)
	ctx := context.Background()
	at := time.Now()
	suggested := func(userID string) []models.Suggestion {
		t.Helper()
		s, err := models.SuggestionsFor(ctx, db, userID)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for i, d := range []models.Domain{
		{ID: "dmn_1", OrganizationID: orgA, Name: "Example.com", EnrollmentMode: models.EnrollSuggestion, Verified: false},
		{ID: "dmn_1", OrganizationID: orgA, Name: "Example.com", EnrollmentMode: "automatic_invitation", Verified: true},
	} {
		if _, err := models.UpsertDomain(ctx, db, d, at.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
		if s := suggested(userB); len(s) != 0 {
			t.Errorf("domain %+v suggests %v", d, s)
		}
	}
	d := models.Domain{ID: "dmn_1", OrganizationID: orgA, Name: "example.com", EnrollmentMode: models.EnrollSuggestion, Verified: true}
	if _, err := models.UpsertDomain(ctx, db, d, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if s := suggested(userB); len(s) != 1 || s[0].OrgID != orgA || s[0].Domain != "example.com" || s[0].OrgSlug != "org-a" {
		t.Errorf("suggestions for B = %+v, want A at example.com", s)
	}
	if s := suggested(userA); len(s) != 0 {
		t.Errorf("A's member is suggested %+v", s)
	}
	if _, err := models.DeleteDomain(ctx, db, "dmn_1", at.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if s := suggested(userB); len(s) != 0 {
		t.Errorf("a deleted domain suggests %+v", s)
	}
}
