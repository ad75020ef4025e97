package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"example.com/saas/internal/apptest"
	"example.com/saas/models"
)

// TestSettingsPage: bob (member) is refused by permission name; alice
// renames acme and changes its slug (local at once, redirect to the new
// slug), with validation and Clerk's duplicate slug as field errors, then
// deletes it with the typed confirmation.
func TestSettingsPage(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	follow, noFollow := s.SignedIn(t, "alice@example.com")
	_, bobNoFollow := s.SignedIn(t, "bob@example.com")

	for _, rt := range []struct{ method, path, perm string }{
		{"GET", "/orgs/acme/settings", models.PermProfileManage},
		{"POST", "/orgs/acme/settings", models.PermProfileManage},
		{"POST", "/orgs/acme/settings/delete", models.PermProfileDelete},
	} {
		code, raw, _ := send(t, s, bobNoFollow, rt.method, rt.path, url.Values{"name": {"Bob's"}, "slug": {"bobs"}, "confirm": {"Acme Inc"}})
		if code != http.StatusForbidden || !strings.Contains(raw, rt.perm) || len(testIDs(t, raw, "error-page")) != 1 {
			t.Errorf("bob %s %s = %d, want the 403 page naming %s", rt.method, rt.path, code, rt.perm)
		}
	}

	code, body, _ := send(t, s, follow, "GET", "/orgs/acme/settings", nil)
	if d := doc(t, body); code != 200 || d.Find(`#field-name`).AttrOr("value", "") != "Acme Inc" || d.Find(`#field-slug`).AttrOr("value", "") != "acme" || len(testIDs(t, body, "danger-zone")) != 1 {
		t.Fatalf("settings = %d, want the form filled and the danger zone", code)
	}

	for _, c := range []struct {
		name, slug, field string
	}{
		{"", "acme", "name"},
		{strings.Repeat("n", 101), "acme", "name"},
		{"Acme", "", "slug"},
		{"Acme", "Bad Slug!", "slug"},
		{"Acme", "a--b", "slug"},
		{"Acme", "globex", "slug"}, // another organization's, locally
	} {
		code, raw, _ := send(t, s, noFollow, "POST", "/orgs/acme/settings", url.Values{"name": {c.name}, "slug": {c.slug}})
		d := doc(t, raw)
		if code != http.StatusUnprocessableEntity || len(testIDs(t, raw, "error-"+c.field)) != 1 || d.Find(`#field-name`).AttrOr("value", "?") != strings.TrimSpace(c.name) {
			t.Errorf("name %q slug %q = %d, want 422 with an error on %s and the input kept", c.name, c.slug, code, c.field)
		}
	}

	// A slug Clerk holds but the local table does not: Clerk's 422 is a field error.
	s.CreateOrganization(t, "Hooli", "hooli", "")
	s.WaitForWebhooks(t)
	s.DB.Exec("UPDATE organizations SET slug = NULL WHERE slug = 'hooli'")
	if code, raw, _ := send(t, s, noFollow, "POST", "/orgs/acme/settings", url.Values{"name": {"Acme Inc"}, "slug": {"hooli"}}); code != 422 || !strings.Contains(strings.Join(testIDs(t, raw, "error-slug"), ""), "taken") {
		t.Errorf("Clerk's duplicate slug = %d, want 422 with a slug error", code)
	}

	code, _, resp := send(t, s, noFollow, "POST", "/orgs/acme/settings", url.Values{"name": {" Acme Corp "}, "slug": {"acme-corp"}})
	if code != http.StatusSeeOther || resp.Header.Get("Location") != "/orgs/acme-corp/settings" {
		t.Fatalf("save = %d to %q, want 303 to the new slug", code, resp.Header.Get("Location"))
	}
	org, err := models.GetOrganization(t.Context(), s.DB, acmeID)
	if err != nil || org.Name != "Acme Corp" || org.Slug != "acme-corp" {
		t.Fatalf("local organization right after = %+v, %v", org, err)
	}
	code, body, _ = send(t, s, follow, "GET", "/orgs/acme-corp/settings", nil)
	if code != 200 || !strings.Contains(strings.Join(testIDs(t, body, "flash"), ""), "saved") {
		t.Errorf("new slug = %d, want 200 with a flash", code)
	}
	if code, _, _ := send(t, s, follow, "GET", "/orgs/acme", nil); code != http.StatusNotFound {
		t.Errorf("old slug = %d, want 404", code)
	}
	s.WaitForWebhooks(t)
	if org, _ := models.GetOrganization(t.Context(), s.DB, acmeID); org.Slug != "acme-corp" || org.Name != "Acme Corp" {
		t.Errorf("after the webhook: %+v", org)
	}

	// Delete: the typed name must match.
	for _, typed := range []string{"", "acme corp", "Acme Inc"} {
		code, raw, _ := send(t, s, noFollow, "POST", "/orgs/acme-corp/settings/delete", url.Values{"confirm": {typed}})
		if code != http.StatusUnprocessableEntity || len(testIDs(t, raw, "error-confirm")) != 1 || doc(t, raw).Find(`[data-testid="delete-org-confirm"]`).AttrOr("value", "?") != typed {
			t.Errorf("delete typing %q = %d, want 422 with the input and an error", typed, code)
		}
	}
	var updated int64
	s.DB.Raw("SELECT count(*) FROM audit_events WHERE organization_id = ? AND action = 'organization.updated'", acmeID).Scan(&updated)
	if updated != 1 {
		t.Errorf("organization.updated events = %d, want 1", updated)
	}
	code, _, resp = send(t, s, noFollow, "POST", "/orgs/acme-corp/settings/delete", url.Values{"confirm": {"Acme Corp"}})
	if code != http.StatusSeeOther || resp.Header.Get("Location") != "/orgs" {
		t.Fatalf("delete = %d to %q, want 303 to /orgs", code, resp.Header.Get("Location"))
	}
	if org, _ := models.GetOrganization(t.Context(), s.DB, acmeID); org == nil || !org.Deleted() {
		t.Error("organization not deleted locally at once")
	}
	code, body, _ = send(t, s, follow, "GET", "/orgs", nil)
	if code != 200 || !strings.Contains(strings.Join(testIDs(t, body, "flash"), ""), "deleted") || strings.Contains(strings.Join(testIDs(t, body, "org-item"), ""), "Acme") {
		t.Errorf("/orgs after delete = %d, want a flash and no Acme", code)
	}
	if code, _, _ := send(t, s, noFollow, "POST", "/orgs/acme-corp/settings/delete", url.Values{"confirm": {"Acme Corp"}}); code != http.StatusNotFound {
		t.Errorf("delete twice = %d, want 404", code)
	}
	var deleted int64
	s.DB.Raw("SELECT count(*) FROM audit_events WHERE organization_id = ? AND action = 'organization.deleted'", acmeID).Scan(&deleted)
	if deleted != 1 {
		t.Errorf("organization.deleted events = %d, want 1", deleted)
	}
	s.WaitForWebhooks(t)
}
