package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"example.com/saas/internal/apptest"
	"example.com/saas/models"
)

// TestDomainsPage: bob (member, no domain permission) is refused by name;
// alice adds example.com (verified: her own address is there) with
// automatic invitation, bad input and a taken domain are field errors that
// add nothing, globex's domain cannot be removed through acme, and removing
// acme's works; each change is audited.
func TestDomainsPage(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	follow, noFollow := s.SignedIn(t, "alice@example.com")
	_, bobNoFollow := s.SignedIn(t, "bob@example.com")

	for _, rt := range []struct{ method, path, perm string }{
		{"GET", "/orgs/acme/settings/domains", models.PermDomainsRead},
		{"POST", "/orgs/acme/settings/domains", models.PermDomainsManage},
		{"POST", "/orgs/acme/settings/domains/orgdmn_x/remove", models.PermDomainsManage},
	} {
		code, raw, _ := send(t, s, bobNoFollow, rt.method, rt.path, url.Values{"name": {"bob.test"}, "enrollment_mode": {"manual_invitation"}})
		if code != http.StatusForbidden || !strings.Contains(raw, rt.perm) {
			t.Errorf("bob %s %s = %d, want the 403 page naming %s", rt.method, rt.path, code, rt.perm)
		}
	}

	code, body, _ := send(t, s, follow, "GET", "/orgs/acme/settings/domains", nil)
	if code != 200 || len(testIDs(t, body, "empty-state")) != 1 || len(testIDs(t, body, "domain-form")) != 1 {
		t.Fatalf("domains = %d, want the empty state and the form", code)
	}
	for _, c := range []struct{ name, mode, field string }{
		{"", "automatic_invitation", "name"},
		{"https://example.com", "automatic_invitation", "name"},
		{"example.com", "everyone", "enrollment_mode"},
		{"gmail.com", "automatic_invitation", "name"}, // Clerk's refusal
	} {
		code, raw, _ := send(t, s, noFollow, "POST", "/orgs/acme/settings/domains", url.Values{"name": {c.name}, "enrollment_mode": {c.mode}})
		if code != http.StatusUnprocessableEntity || len(testIDs(t, raw, "error-"+c.field)) != 1 {
			t.Errorf("add %q %q = %d, want 422 with an error on %s", c.name, c.mode, code, c.field)
		}
	}
	code, _, resp := send(t, s, noFollow, "POST", "/orgs/acme/settings/domains", url.Values{"name": {" Example.COM "}, "enrollment_mode": {"automatic_invitation"}})
	if code != http.StatusSeeOther || resp.Header.Get("Location") != "/orgs/acme/settings/domains" {
		t.Fatalf("add = %d to %q", code, resp.Header.Get("Location"))
	}
	code, body, _ = send(t, s, follow, "GET", "/orgs/acme/settings/domains", nil)
	if code != 200 || strings.Join(testIDs(t, body, "domain-name"), ",") != "example.com" ||
		!strings.Contains(body, "Verified") || !strings.Contains(strings.Join(testIDs(t, body, "domain-enrollment"), ""), "Automatic invitation") {
		t.Fatalf("domains after adding = %d %v, want example.com verified with automatic invitation", code, testIDs(t, body, "domain-name"))
	}
	if code, raw, _ := send(t, s, noFollow, "POST", "/orgs/acme/settings/domains", url.Values{"name": {"example.com"}, "enrollment_mode": {"manual_invitation"}}); code != 422 || !strings.Contains(strings.Join(testIDs(t, raw, "error-name"), ""), "already used") {
		t.Errorf("the same domain again = %d, want 422 already used", code)
	}

	// globex's domain, by id, through acme: Clerk's 404, and nothing removed.
	carolFollow, carolNoFollow := s.SignedIn(t, "carol@example.com")
	if code, _, _ := send(t, s, carolNoFollow, "POST", "/orgs/globex/settings/domains", url.Values{"name": {"globex.test"}, "enrollment_mode": {"manual_invitation"}}); code != http.StatusSeeOther {
		t.Fatalf("carol adds globex.test = %d", code)
	}
	var globexDomain, acmeDomain string
	for _, d := range s.Emu.Deliveries() {
		if d.Type == "organizationDomain.created" && globexDomain == "" && acmeDomain != "" {
			globexDomain = d.ObjectID
		} else if d.Type == "organizationDomain.created" && acmeDomain == "" {
			acmeDomain = d.ObjectID
		}
	}
	if code, _, _ := send(t, s, noFollow, "POST", "/orgs/acme/settings/domains/"+globexDomain+"/remove", nil); code != http.StatusNotFound {
		t.Errorf("remove globex's domain through acme = %d, want 404", code)
	}
	if code, _, _ := send(t, s, noFollow, "GET", "/orgs/acme/settings/domains/"+acmeDomain+"/remove", nil); code != http.StatusOK {
		t.Errorf("confirm page = %d, want 200", code)
	}
	if code, _, _ := send(t, s, noFollow, "POST", "/orgs/acme/settings/domains/"+acmeDomain+"/remove", nil); code != http.StatusSeeOther {
		t.Errorf("remove = %d, want 303", code)
	}
	if _, body, _ := send(t, s, carolFollow, "GET", "/orgs/globex/settings/domains", nil); !strings.Contains(body, "globex.test") {
		t.Errorf("globex's domain is gone")
	}

	var actions []string
	s.DB.Raw("SELECT action FROM audit_events WHERE organization_id = ? ORDER BY created_at, id", acmeID).Scan(&actions)
	if got := strings.Join(actions, ","); got != "domain.added,domain.removed" {
		t.Errorf("audit = %s, want domain.added,domain.removed", got)
	}
}
