package handlers

import (
	"context"
	"errors"
	"net/http"

	"gorm.io/gorm"

	"example.com/saas/internal/paths"
	"example.com/saas/models"
	"example.com/saas/views"
)

// Requests to join: Clerk keeps its own organization suggestions and
// membership requests in its Frontend API only (clerk-js's
// <OrganizationList/>), out of a server-rendered app's reach. So the app
// suggests from the synced verified domains (models.SuggestionsFor), keeps
// the requests itself (tenant-owned by the organization asked), and an
// admin's accept creates the membership in Clerk (clerksync.AcceptRequest).

// asTenant is ctx in the organization s suggests, as the signed-in user
// userID, who is not a member of it: their request is that organization's
// row, written and audited under its row-level security.
func asTenant(ctx context.Context, s models.Suggestion, userID string) context.Context {
	return models.WithTenant(ctx, models.Tenant{OrgID: s.OrgID, Slug: s.OrgSlug, Name: s.OrgName, UserID: userID})
}

// suggestionOffers are the organizations suggested to userID, each marked
// when they asked already; those whose admins rejected them are left out.
func (h *orgHandlers) suggestionOffers(ctx context.Context, userID string) ([]views.SuggestionOffer, error) {
	suggestions, err := models.SuggestionsFor(ctx, h.db, userID)
	if err != nil {
		return nil, err
	}
	var out []views.SuggestionOffer
	for _, s := range suggestions {
		var status string
		err := models.InTenant(models.ReadOnly(asTenant(ctx, s, userID)), h.db, h.role, func(tx *gorm.DB) error {
			var err error
			status, err = models.MembershipRequestStatus(asTenant(ctx, s, userID), tx)
			return err
		})
		if err != nil {
			return nil, err
		}
		if status != models.RequestRejected {
			out = append(out, views.SuggestionOffer{OrgID: s.OrgID, OrgName: s.OrgName, Domain: s.Domain, Requested: status == models.RequestPending})
		}
	}
	return out, nil
}

// requestToJoin asks, in one click, to join an organization suggested to
// the user; the organization's admins see the request on its members page.
// Asking twice is the same request; an organization not suggested to the
// user (any longer) changes nothing.
func (h *orgHandlers) requestToJoin(w http.ResponseWriter, r *http.Request) {
	id, _ := models.IdentityFrom(r.Context())
	orgID := r.PathValue("orgID")
	if !clerkID.MatchString(orgID) {
		h.renderError(w, r, models.ErrNotFound)
		return
	}
	suggestions, err := models.SuggestionsFor(r.Context(), h.db, id.UserID)
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	for _, s := range suggestions {
		if s.OrgID != orgID {
			continue
		}
		ctx := asTenant(r.Context(), s, id.UserID)
		err := models.InTenant(ctx, h.db, h.role, func(tx *gorm.DB) error {
			reqID, created, err := models.RequestMembership(ctx, tx)
			if err != nil || !created {
				return err
			}
			return models.RecordAudit(ctx, tx, "member.requested", "membership_request", reqID, "Asked to join, with an email address at "+s.Domain)
		})
		if err != nil {
			h.renderError(w, r, err)
			return
		}
		h.flashAndRedirect(w, r, "success", "Your request to join "+s.OrgName+" was sent to its admins.", paths.Orgs)
		return
	}
	h.flashAndRedirect(w, r, "info", "That organization is no longer suggested to you.", paths.Orgs)
}

// pendingRequests are the tenant's pending requests to join, display-ready.
func (h *memberHandlers) pendingRequests(r *http.Request) ([]views.RequestRow, error) {
	reqs, err := inTenantValue(h, r, func(tx *gorm.DB) ([]models.PendingRequest, error) {
		return models.PendingRequests(r.Context(), tx)
	})
	if err != nil {
		return nil, err
	}
	out := make([]views.RequestRow, 0, len(reqs))
	for _, q := range reqs {
		out = append(out, views.RequestRow{ID: q.ID, Name: q.DisplayName(), Email: q.Email, Asked: views.At(q.CreatedAt)})
	}
	return out, nil
}

// acceptRequest makes the requester a member, in Clerk and here.
func (h *memberHandlers) acceptRequest(w http.ResponseWriter, r *http.Request) {
	t, _ := models.TenantFrom(r.Context())
	req, err := h.clerk.AcceptRequest(r.Context(), r.PathValue("requestID"))
	h.decided(w, r, err, req.DisplayName()+" joined "+t.Name+".")
}

// rejectRequest turns the request down; the organization is no longer
// suggested to the requester.
func (h *memberHandlers) rejectRequest(w http.ResponseWriter, r *http.Request) {
	var name string
	err := h.inTenant(r, func(tx *gorm.DB) error {
		req, err := models.DecideRequest(r.Context(), tx, r.PathValue("requestID"), models.RequestRejected)
		if err != nil {
			return err
		}
		name = req.DisplayName()
		return models.RecordAudit(r.Context(), tx, "member.request_rejected", "user", req.UserID, "Rejected "+name+"'s request to join")
	})
	h.decided(w, r, err, "You rejected "+name+"'s request to join.")
}

// decided answers an accept or reject: success's flash, the same page when
// another admin answered first, or the error (another tenant's id: 404).
func (h *memberHandlers) decided(w http.ResponseWriter, r *http.Request, err error, success string) {
	t, _ := models.TenantFrom(r.Context())
	switch {
	case errors.Is(err, models.ErrDecided):
		h.flashAndRedirect(w, r, "info", "That request was already answered.", paths.Members(t.Slug))
	case err != nil:
		h.renderError(w, r, err)
	default:
		h.flashAndRedirect(w, r, "success", success, paths.Members(t.Slug))
	}
}
