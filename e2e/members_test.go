package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"example.com/saas/models"
)

// Seeded ids (internal/clerkdev's DefaultSeed).
const (
	acmeID  = "org_2acme0000000000000000000000"
	carolID = "user_2carol000000000000000000000"
)

// TestMembersRemoveDialog: on a desktop and on a phone, an admin's remove
// confirmation is a modal dialog wholly on screen, whatever scroll box its
// button sits in; Escape and Cancel close it and give the focus back to the
// button that opened it; on the phone the members are cards with their
// actions on screen and nothing scrolls sideways; confirming removes the
// member.
func TestMembersRemoveDialog(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	s.AddMember(t, acmeID, carolID, models.RoleMember) // a third card
	s.WaitForWebhooks(t)
	tab := NewBrowser(t, s.URL, s.EmuURL).Tab()
	const members = "/orgs/acme/members"
	signIn(t, tab, "alice@example.com", members)

	for _, vp := range []viewport{desktop, phone} {
		tab.setViewport(vp)
		tab.Open(members)
		if n := tab.Count(tid("member-row")); n != 3 {
			t.Fatalf("%s: %d members, want alice, bob and carol", vp.name, n)
		}
		if vp == phone {
			assertNoSideScroll(t, tab)
			assertActionsOnScreen(t, tab)
		}
		bob := memberRow(t, tab, "bob@example.com")
		opener := bob + " " + tid("member-remove")
		for _, close := range []string{"Escape", "Cancel"} {
			tab.ClickInPlace(opener)
			dialog := bob + " " + tid("member-remove-dialog")
			tab.WaitVisible(dialog)
			assertModalOnScreen(t, tab, vp.name, dialog)
			if close == "Escape" && vp == desktop {
				tab.checkAccessibilityBothSchemes("members, remove dialog open")
			}
			if close == "Escape" {
				tab.Do("press Escape", chromedp.KeyEvent(kb.Escape))
			} else {
				tab.ClickInPlace(dialog + " " + tid("member-remove-cancel"))
			}
			if Eval[bool](tab, `document.querySelector(`+jsString(dialog)+`).open`) {
				t.Errorf("%s: %s did not close the dialog", vp.name, close)
			}
			if !Eval[bool](tab, `document.activeElement === document.querySelector(`+jsString(opener)+`)`) {
				t.Errorf("%s: after %s the focus is on %s, want the Remove button", vp.name, close,
					Eval[string](tab, `document.activeElement.outerHTML.slice(0, 120)`))
			}
		}
	}

	// Confirming removes bob (still on the phone).
	bob := memberRow(t, tab, "bob@example.com")
	tab.ClickInPlace(bob + " " + tid("member-remove"))
	tab.WaitVisible(bob + " " + tid("member-remove-dialog"))
	if status := tab.Click(bob + " " + tid("member-remove-confirm")); status != 200 {
		t.Fatalf("remove bob: %d at %s", status, tab.URL())
	}
	if got := tab.Path(); got != members {
		t.Errorf("after removing bob at %s, want %s", got, members)
	}
	if got := tab.Text(tid("flash")); !strings.Contains(got, "Bob Member was removed") {
		t.Errorf("flash = %q, want bob's removal", got)
	}
	if emails := tab.Texts(tid("member-email")); contains(emails, "bob@example.com") || len(emails) != 2 {
		t.Errorf("members after the removal = %q", emails)
	}
}

// TestMembersBasicMemberLeaves: bob, a plain member, leaves Acme from his own
// card on a phone: the dialog asks, and he lands on his organizations with
// Acme gone.
func TestMembersBasicMemberLeaves(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	tab := NewBrowser(t, s.URL, s.EmuURL).Tab()
	const members = "/orgs/acme/members"
	signIn(t, tab, "bob@example.com", members)
	tab.setViewport(phone)
	tab.Open(members)
	assertNoSideScroll(t, tab)

	self := memberRow(t, tab, "bob@example.com")
	if n := tab.Count(tid("member-leave")); n != 1 {
		t.Fatalf("%d leave controls, want bob's own", n)
	}
	tab.ClickInPlace(self + " " + tid("member-leave"))
	dialog := self + " " + tid("member-leave-dialog")
	tab.WaitVisible(dialog)
	assertModalOnScreen(t, tab, phone.name, dialog)
	if got := tab.Text(dialog); !strings.Contains(got, "Leave Acme Inc?") {
		t.Errorf("leave dialog says %q", got)
	}
	if status := tab.Click(dialog + " " + tid("member-leave-confirm")); status != 200 {
		t.Fatalf("leave: %d at %s", status, tab.URL())
	}
	if got := tab.Path(); got != "/orgs" {
		t.Fatalf("after leaving at %s, want /orgs", got)
	}
	if got := tab.Text(tid("flash")); !strings.Contains(got, "You left Acme Inc.") {
		t.Errorf("flash = %q, want the leave", got)
	}
	if n := tab.Count(tid("org-item") + `[href="/orgs/acme"]`); n != 0 {
		t.Error("Acme is still among bob's organizations")
	}
	tab.allowStatus(404)
	if status := tab.Open(members); status != 404 {
		t.Errorf("acme's members after leaving = %d, want 404", status)
	}
}

// assertModalOnScreen checks the dialog matching css is open as a modal
// (the page behind inert), holds the focus, and its box lies inside the
// viewport.
func assertModalOnScreen(t *testing.T, tab *Tab, vp, css string) {
	t.Helper()
	got := Eval[map[string]any](tab, `(() => {
		const d = document.querySelector(`+jsString(css)+`);
		const r = d.getBoundingClientRect();
		return {open: d.open, modal: d.matches(":modal"), focus: d.contains(document.activeElement),
			inside: r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight,
			box: [r.left, r.top, r.right, r.bottom, innerWidth, innerHeight].map(Math.round).join(" ")};
	})()`)
	for _, k := range []string{"open", "modal", "focus", "inside"} {
		if got[k] != true {
			t.Errorf("%s: dialog %s: %s is false (box %v)", vp, css, k, got["box"])
		}
	}
}

// assertNoSideScroll fails when the page is wider than the viewport.
func assertNoSideScroll(t *testing.T, tab *Tab) {
	t.Helper()
	if w := Eval[[]int](tab, `[document.documentElement.scrollWidth, innerWidth]`); w[0] > w[1] {
		t.Errorf("the page is %d px wide in a %d px viewport", w[0], w[1])
	}
}

// assertActionsOnScreen scrolls to each member card and checks its actions
// (and role control, when it has one) lie inside the viewport.
func assertActionsOnScreen(t *testing.T, tab *Tab) {
	t.Helper()
	off := Eval[[]string](tab, `Array.from(document.querySelectorAll('[data-testid="member-row"]')).flatMap(row => {
		const controls = Array.from(row.querySelectorAll('[data-testid="member-actions"] a, [data-testid="member-actions"] button, select'))
			.filter(c => !c.closest("dialog")); // closed: nothing to see
		if (controls.length === 0) return [row.dataset.userId + ": no actions"];
		return controls.flatMap(c => {
			c.scrollIntoView({block: "center"});
			const r = c.getBoundingClientRect();
			const ok = r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight;
			return ok ? [] : [row.dataset.userId + ": " + c.dataset.testid + " at " + [r.left, r.top, r.right, r.bottom].map(Math.round).join(" ")];
		});
	})`)
	for _, o := range off {
		t.Errorf("phone: off screen: %s", o)
	}
}
