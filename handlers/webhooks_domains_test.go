package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"example.com/saas/models"
)

// domainEvent is an organizationDomain.* delivery in Clerk's shape, as the
// emulator sends it (internal/clerkdev/domains.go's domainJSON). Clerk
// publishes no example payload for these events (its webhook OpenAPI spec
// and dashboard catalog have none), so this one is built from the
// organization_domain object of its Backend API reference.
func domainEvent(t *testing.T, typ, id string, updatedAt time.Time, data map[string]any) []byte {
	t.Helper()
	d := map[string]any{"object": "organization_domain", "id": id}
	if typ != "organizationDomain.deleted" {
		d = map[string]any{
			"object": "organization_domain", "id": id, "organization_id": "org_2initech000000000000000000",
			"name": "initech.test", "enrollment_mode": "automatic_suggestion", "affiliation_email_address": nil,
			"verification":              map[string]any{"status": "verified", "strategy": "admin", "attempts": 0, "expire_at": nil},
			"total_pending_invitations": 0, "total_pending_suggestions": 0,
			"created_at": updatedAt.Add(-time.Minute).UnixMilli(), "updated_at": updatedAt.UnixMilli(),
		}
	} else {
		d["deleted"] = true
	}
	for k, v := range data {
		d[k] = v
	}
	body, err := json.Marshal(map[string]any{"object": "event", "type": typ, "timestamp": updatedAt.UnixMilli(),
		"data": d, "event_attributes": map[string]any{"http_request": map[string]any{"client_ip": "", "user_agent": ""}}})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// TestWebhookOrganizationDomains: organizationDomain.created stores the
// domain (verified, lower case), a stale update changes nothing, a newer one
// applies, deleted leaves a tombstone that a late update cannot revive, and
// data without an organization is refused with nothing written.
func TestWebhookOrganizationDomains(t *testing.T) {
	t.Parallel()
	k := newHook(t)
	ctx := context.Background()
	const id = "orgdmn_2initech0000000000000000"
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	get := func() *models.Domain {
		t.Helper()
		d, err := models.GetDomain(ctx, k.db, id)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	k.post(domainEvent(t, "organizationDomain.created", id, t0, map[string]any{"name": "Initech.TEST"}), http.StatusOK)
	if d := get(); d.Name != "initech.test" || !d.Verified || d.EnrollmentMode != models.EnrollSuggestion || d.OrganizationID != "org_2initech000000000000000000" {
		t.Fatalf("created domain = %+v", d)
	}
	k.post(domainEvent(t, "organizationDomain.updated", id, t0.Add(-time.Minute), map[string]any{"enrollment_mode": "manual_invitation"}), http.StatusOK)
	if d := get(); d.EnrollmentMode != models.EnrollSuggestion {
		t.Errorf("a stale update applied: %+v", d)
	}
	k.post(domainEvent(t, "organizationDomain.updated", id, t0.Add(time.Minute), map[string]any{
		"verification": map[string]any{"status": "unverified", "strategy": "email_code"}}), http.StatusOK)
	if d := get(); d.Verified {
		t.Errorf("domain after unverifying = %+v, want unverified", d)
	}
	k.post(domainEvent(t, "organizationDomain.deleted", id, t0.Add(2*time.Minute), nil), http.StatusOK)
	k.post(domainEvent(t, "organizationDomain.updated", id, t0.Add(time.Hour), nil), http.StatusOK)
	if d := get(); d.DeletedAt == nil || d.Verified {
		t.Errorf("domain after delete and a late update = %+v, want deleted", d)
	}
	k.post(domainEvent(t, "organizationDomain.deleted", "orgdmn_never_seen", t0, nil), http.StatusOK)
	if d, err := models.GetDomain(ctx, k.db, "orgdmn_never_seen"); err != nil || d.DeletedAt == nil {
		t.Errorf("tombstone = %+v, %v", d, err)
	}

	k.empty()
	k.post(domainEvent(t, "organizationDomain.created", id, t0, map[string]any{"organization_id": nil}), http.StatusBadRequest)
	k.wantNothingWritten()
}
