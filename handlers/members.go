package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strings"

	"example.com/saas/internal/clerksync"
	"example.com/saas/internal/paths"
	"example.com/saas/models"
	"example.com/saas/views"
)

// memberHandlers show an organization's members and, to those who manage
// them, invitations, role changes and removals (made in Clerk, then here).
type memberHandlers struct {
	*pages
	// tenantDB: requests to join are the tenant's rows.
	tenantDB
	clerk   *clerksync.Clerk
	baseURL *url.URL
}

// roleOptions are the roles an admin may give: Clerk's default ones, named
// as everywhere else (models.RoleLabel).
var roleOptions = []views.Option{
	{Value: models.RoleMember, Label: models.RoleLabel(models.RoleMember)},
	{Value: models.RoleAdmin, Label: models.RoleLabel(models.RoleAdmin)},
}

// chooseRole is the error of a role that is not one of roleOptions.
var chooseRole = "Choose " + models.RoleLabel(models.RoleMember) + " or " + models.RoleLabel(models.RoleAdmin) + "."

// clerkID matches Clerk's ids (user_…, orginv_…); anything else in a URL is
// a 404 and never reaches a Backend API path.
var clerkID = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// membersState is what a re-rendered members page carries besides the data:
// the invite form's input and errors, and a refusal of a row's action.
type membersState struct {
	invite    views.InviteForm
	rowErrors map[string]string
}

// listMembers shows the members from the local tables and, to admins, the
// pending invitations from Clerk.
func (h *memberHandlers) listMembers(w http.ResponseWriter, r *http.Request) {
	h.renderMembers(w, r, http.StatusOK, membersState{})
}

func (h *memberHandlers) renderMembers(w http.ResponseWriter, r *http.Request, status int, st membersState) {
	v, err := h.membersView(r, st.rowErrors)
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	v.Invite = st.invite
	if v.Invite.Role == "" {
		v.Invite.Role = models.RoleMember
	}
	if v.CanManage {
		v.Invitations, v.InvitationsError = h.pendingInvitations(r)
		if v.Requests, err = h.pendingRequests(r); err != nil {
			h.renderError(w, r, err)
			return
		}
	}
	h.render(w, r, status, views.Members(h.orgPage(w, r, "Members", "members"), v))
}

// membersView is the tenant's members as the page lists them, without the
// invitations.
func (h *memberHandlers) membersView(r *http.Request, rowErrors map[string]string) (views.MembersView, error) {
	t, _ := models.TenantFrom(r.Context())
	members, err := models.MembersOf(r.Context(), h.db)
	if err != nil {
		return views.MembersView{}, err
	}
	return views.MembersView{
		Slug: t.Slug, OrgName: t.Name, CanManage: t.Can(models.PermMembershipsManage), Roles: roleOptions,
		Members: memberRows(members, t.UserID, rowErrors),
	}, nil
}

// memberRows are the members as the page lists them; rowErrors holds a
// refusal of a row's action, by user id.
func memberRows(members []models.Member, selfID string, rowErrors map[string]string) []views.MemberRow {
	admins := 0
	for _, m := range members {
		if models.NormalizeRole(m.Role) == models.RoleAdmin {
			admins++
		}
	}
	rows := make([]views.MemberRow, 0, len(members))
	for _, m := range members {
		role := models.NormalizeRole(m.Role)
		rows = append(rows, views.MemberRow{
			UserID: m.UserID, Name: m.DisplayName(), Email: m.Email, ImageURL: m.ImageURL, SignIn: m.SignInMethod(),
			Initials: views.Initials(m.DisplayName(), m.Email), Role: role, RoleLabel: models.RoleLabel(role),
			IsAdmin: role == models.RoleAdmin, Joined: m.CreatedAt.UTC().Format("Jan 2, 2006"),
			IsSelf: m.UserID == selfID, LastAdmin: role == models.RoleAdmin && admins <= 1,
			Error: rowErrors[m.UserID],
		})
	}
	return rows
}

// pendingInvitations lists the organization's pending invitations from
// Clerk (they are not synced locally). A failure is shown on the page
// instead of failing it.
func (h *memberHandlers) pendingInvitations(r *http.Request) ([]views.InvitationRow, string) {
	invitations, err := h.clerk.PendingInvitations(r.Context())
	if err != nil {
		h.log.WarnContext(r.Context(), "list invitations", slog.Any("error", err))
		return nil, "Pending invitations could not be loaded right now. Try again in a moment."
	}
	var out []views.InvitationRow
	for _, i := range invitations {
		row := views.InvitationRow{ID: i.ID, Email: i.Email, RoleLabel: models.RoleLabel(i.Role), Sent: views.At(i.CreatedAt)}
		if i.ExpiresAt != nil {
			row.Expires = views.At(*i.ExpiresAt)
		}
		out = append(out, row)
	}
	return out, ""
}

// inviteForm is the invite-by-email form.
type inviteForm struct {
	Email string
	Role  string
}

// Validate returns the form's field errors.
func (f inviteForm) Validate() map[string]string {
	errs := map[string]string{}
	if f.Email == "" {
		errs["email"] = "Enter an email address."
	} else if a, err := mail.ParseAddress(f.Email); err != nil || a.Address != f.Email || len(f.Email) > 254 || !strings.Contains(f.Email[strings.LastIndex(f.Email, "@")+1:], ".") {
		errs["email"] = "Enter a valid email address, such as name@example.com."
	}
	if !validRole(f.Role) {
		errs["role"] = chooseRole
	}
	return errs
}

func validRole(role string) bool {
	for _, o := range roleOptions {
		if o.Value == role {
			return true
		}
	}
	return false
}

// createInvitation invites an email address through Clerk; an address that
// is already a member or already invited gets a field error, not a second
// invitation.
func (h *memberHandlers) createInvitation(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.renderError(w, r, err)
		return
	}
	t, _ := models.TenantFrom(r.Context())
	f := inviteForm{Email: strings.ToLower(strings.TrimSpace(r.PostFormValue("email"))), Role: r.PostFormValue("role")}
	if f.Role == "" {
		f.Role = models.RoleMember
	}
	fail := func(errs map[string]string) {
		h.renderMembers(w, r, http.StatusUnprocessableEntity, membersState{invite: views.InviteForm{Email: f.Email, Role: f.Role, Errors: errs}})
	}
	if errs := f.Validate(); len(errs) > 0 {
		fail(errs)
		return
	}
	_, err := h.clerk.Invite(r.Context(), f.Email, f.Role, h.invitationLanding())
	var refusal *clerksync.Refusal
	switch {
	case errors.Is(err, clerksync.ErrAlreadyMember):
		fail(map[string]string{"email": f.Email + " is already a member of this organization."})
	case errors.Is(err, clerksync.ErrAlreadyInvited):
		fail(map[string]string{"email": "There is already a pending invitation for " + f.Email + "."})
	case errors.As(err, &refusal):
		fail(map[string]string{"email": refusal.Message})
	case err != nil:
		h.renderError(w, r, err)
	default:
		h.flashAndRedirect(w, r, "success", "Invitation sent to "+f.Email+".", paths.Members(t.Slug))
	}
}

// invitationLanding is the redirect_url of an invitation: this app's sign-in,
// which hands the ticket Clerk appends to the hosted sign-up or sign-in, then
// the list of the invitee's organizations, the new one among them.
func (h *memberHandlers) invitationLanding() string {
	return h.baseURL.String() + paths.WithQuery(paths.SignIn, url.Values{"redirect_url": {paths.Orgs}})
}

// revokeInvitation revokes a pending invitation; revoking one that is no
// longer pending (a double submit) says so instead of failing.
func (h *memberHandlers) revokeInvitation(w http.ResponseWriter, r *http.Request) {
	t, _ := models.TenantFrom(r.Context())
	id, ok := invitationID(r)
	if !ok {
		h.renderError(w, r, models.ErrNotFound)
		return
	}
	inv, err := h.clerk.RevokeInvitation(r.Context(), id)
	switch {
	case errors.Is(err, clerksync.ErrNotPending):
		h.flashAndRedirect(w, r, "info", "That invitation is no longer pending: it was already revoked or accepted.", paths.Members(t.Slug))
	case err != nil:
		h.renderError(w, r, err)
	default:
		h.flashAndRedirect(w, r, "success", "Invitation for "+inv.Email+" revoked.", paths.Members(t.Slug))
	}
}

// invitationID is the URL's {invitationID} when it has the shape of a Clerk
// id (anything else cannot name an invitation: 404 without asking Clerk).
func invitationID(r *http.Request) (string, bool) {
	id := r.PathValue("invitationID")
	return id, clerkID.MatchString(id)
}

// targetMember loads the member of the URL's {userID} in the tenant.
func (h *memberHandlers) targetMember(r *http.Request) (*models.Member, error) {
	id := r.PathValue("userID")
	if !clerkID.MatchString(id) {
		return nil, models.ErrNotFound
	}
	return models.MemberOf(r.Context(), h.db, id)
}

// updateMemberRole changes a member's role in Clerk, then here; the last
// admin cannot be demoted.
func (h *memberHandlers) updateMemberRole(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.renderError(w, r, err)
		return
	}
	t, _ := models.TenantFrom(r.Context())
	m, err := h.targetMember(r)
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	name, role := m.DisplayName(), r.PostFormValue("role")
	if !validRole(role) {
		h.renderMembers(w, r, http.StatusUnprocessableEntity, membersState{rowErrors: map[string]string{m.UserID: chooseRole}})
		return
	}
	if models.NormalizeRole(m.Role) == role {
		h.flashAndRedirect(w, r, "info", name+" is already "+articleRole(role)+".", paths.Members(t.Slug))
		return
	}
	newRole, err := h.clerk.ChangeRole(r.Context(), m.UserID, role)
	switch {
	case errors.Is(err, clerksync.ErrLastAdmin):
		h.refuseLastAdmin(w, r, m.UserID, name+" is the only admin. Make another member an admin first: an organization needs at least one.")
	case err != nil:
		h.renderError(w, r, err)
	default:
		h.flashAndRedirect(w, r, "success", name+" is now "+articleRole(newRole)+".", paths.Members(t.Slug))
	}
}

// removeMember removes a member in Clerk, then here; the last admin cannot
// be removed, and removing someone already gone says so.
func (h *memberHandlers) removeMember(w http.ResponseWriter, r *http.Request) {
	t, _ := models.TenantFrom(r.Context())
	alreadyRemoved := func() {
		h.flashAndRedirect(w, r, "info", "That member was already removed.", paths.Members(t.Slug))
	}
	m, err := h.targetMember(r)
	if clerkID.MatchString(r.PathValue("userID")) && errors.Is(err, models.ErrNotFound) {
		alreadyRemoved()
		return
	}
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	name := m.DisplayName()
	err = h.clerk.RemoveMember(r.Context(), m.UserID)
	switch {
	case errors.Is(err, clerksync.ErrLastAdmin):
		h.refuseLastAdmin(w, r, m.UserID, name+" is the only admin and cannot be removed. Make another member an admin first.")
	case errors.Is(err, models.ErrNotFound): // removed while this request waited for the lock
		alreadyRemoved()
	case err != nil:
		h.renderError(w, r, err)
	case m.UserID == t.UserID:
		h.flashAndRedirect(w, r, "success", "You left "+t.Name+".", paths.Orgs)
	default:
		h.flashAndRedirect(w, r, "success", name+" was removed from "+t.Name+".", paths.Members(t.Slug))
	}
}

// refuseLastAdmin shows the members page again with msg on the row of the
// member userID: once, where the refused control is (the page's controls
// already said why beforehand, unless it was stale).
func (h *memberHandlers) refuseLastAdmin(w http.ResponseWriter, r *http.Request, userID, msg string) {
	h.renderMembers(w, r, http.StatusUnprocessableEntity, membersState{rowErrors: map[string]string{userID: msg}})
}

// articleRole is "an Admin" or "a Member".
func articleRole(role string) string {
	l := models.RoleLabel(role)
	if strings.ContainsRune("AEIOU", rune(l[0])) {
		return "an " + l
	}
	return "a " + l
}

// leaveOrg takes the signed-in user out of the organization in Clerk, then
// here (clerksync's Leave), and sends them to their other organizations.
// The only admin cannot leave: the page disables the control and says why,
// so this refusal only answers a stale page.
func (h *memberHandlers) leaveOrg(w http.ResponseWriter, r *http.Request) {
	t, _ := models.TenantFrom(r.Context())
	err := h.clerk.Leave(r.Context())
	switch {
	case errors.Is(err, clerksync.ErrLastAdmin):
		h.refuseLastAdmin(w, r, t.UserID, "You are the only admin and cannot leave. Make another member an admin first.")
	case errors.Is(err, models.ErrNotFound): // left in another tab while this request waited for the lock
		h.flashAndRedirect(w, r, "info", "You already left "+t.Name+".", paths.Orgs)
	case err != nil:
		h.renderError(w, r, err)
	default:
		h.flashAndRedirect(w, r, "success", "You left "+t.Name+".", paths.Orgs)
	}
}

// confirmLeave asks before leaving, on a page of its own: the members
// page's dialog needs JavaScript.
func (h *memberHandlers) confirmLeave(w http.ResponseWriter, r *http.Request) {
	t, _ := models.TenantFrom(r.Context())
	h.confirmMember(w, r, t.UserID, "Leave organization", views.LeaveConfirm)
}

// confirmRemoveMember asks before removing the member of the URL, on a page
// of its own.
func (h *memberHandlers) confirmRemoveMember(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("userID")
	if !clerkID.MatchString(id) {
		h.renderError(w, r, models.ErrNotFound)
		return
	}
	h.confirmMember(w, r, id, "Remove member", views.RemoveConfirm)
}

// confirmMember renders the confirmation confirm makes for the member
// userID (404 when not a member).
func (h *memberHandlers) confirmMember(w http.ResponseWriter, r *http.Request, userID, title string, confirm func(views.MembersView, views.MemberRow) views.Confirm) {
	v, err := h.membersView(r, nil)
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	for _, m := range v.Members {
		if m.UserID == userID {
			h.render(w, r, http.StatusOK, views.ConfirmPage(h.orgPage(w, r, title, "members"), confirm(v, m), paths.Members(v.Slug)))
			return
		}
	}
	h.renderError(w, r, models.ErrNotFound)
}

// confirmRevokeInvitation asks before revoking a pending invitation, on a
// page of its own; one no longer pending says so.
func (h *memberHandlers) confirmRevokeInvitation(w http.ResponseWriter, r *http.Request) {
	t, _ := models.TenantFrom(r.Context())
	id, ok := invitationID(r)
	if !ok {
		h.renderError(w, r, models.ErrNotFound)
		return
	}
	invitations, err := h.clerk.PendingInvitations(r.Context())
	if err != nil {
		h.renderError(w, r, fmt.Errorf("list invitations to confirm revoking %s: %w", id, err))
		return
	}
	for _, i := range invitations {
		if i.ID == id {
			c := views.RevokeConfirm(t.Slug, views.InvitationRow{ID: i.ID, Email: i.Email})
			h.render(w, r, http.StatusOK, views.ConfirmPage(h.orgPage(w, r, "Revoke invitation", "members"), c, paths.Members(t.Slug)))
			return
		}
	}
	h.flashAndRedirect(w, r, "info", "That invitation is no longer pending: it was already revoked or accepted.", paths.Members(t.Slug))
}
