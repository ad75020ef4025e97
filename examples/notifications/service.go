package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"gorm.io/gorm"

	"example.com/saas/gatewayauth"
	"example.com/saas/middleware"
	"example.com/saas/models"
)

// Service serves the notification preferences of the caller's active
// organization. It trusts only the identity cmd/gateway signed
// (gatewayauth), and reads the users and memberships the app keeps in sync
// with Clerk: the same tables, under the same tenant walls (the models
// package's GORM scope and Postgres row-level security).
type Service struct {
	DB *gorm.DB
	// TenantRole is the NOLOGIN role tenant transactions switch to
	// (DB_TENANT_ROLE, "app_tenant" by default).
	TenantRole string
	Gateway    *gatewayauth.Verifier
	Log        *slog.Logger
}

// Handler is the service's routes: /healthz open, the rest only through
// the gateway and only for members of the session's organization.
func (s *Service) Handler() http.Handler {
	api := http.NewServeMux()
	api.HandleFunc("GET /notifications/preferences", s.list)
	api.HandleFunc("GET /notifications/preferences/me", s.mine)
	api.HandleFunc("PUT /notifications/preferences/me", s.save)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.Handle("/notifications/", s.Gateway.Middleware(s.requireMember(api)))
	return s.accessLog(mux)
}

// requireMember puts the caller's tenant in the context: the gateway's
// organization as the synced tables have it, with the role and permissions
// of the local membership (the authority; the token's may be a minute old),
// as the app's API looks it up. A session without an organization, a user
// who is no longer a member, or an organization deleted since, is refused
// before any handler runs.
func (s *Service) requireMember(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := gatewayauth.FromContext(r.Context())
		if id.OrgID == "" {
			gatewayauth.WriteError(w, http.StatusForbidden, "no_active_organization", "This session has no active organization.")
			return
		}
		t, err := models.TenantForOrg(r.Context(), s.DB, id.OrgID, id.UserID)
		switch {
		case errors.Is(err, models.ErrNotFound):
			gatewayauth.WriteError(w, http.StatusForbidden, "forbidden", "You are not a member of this organization.")
			return
		case err != nil:
			s.fail(w, r, fmt.Errorf("load membership of %s in %s: %w", id.UserID, id.OrgID, err))
			return
		}
		next.ServeHTTP(w, r.WithContext(models.WithTenant(r.Context(), t)))
	})
}

// list answers every member of the organization with their preference, for
// those who may see the member list (org:sys_memberships:read).
func (s *Service) list(w http.ResponseWriter, r *http.Request) {
	t, _ := models.TenantFrom(r.Context())
	if !t.Can(models.PermMembershipsRead) {
		gatewayauth.WriteError(w, http.StatusForbidden, "missing_permission", "Your role does not let you see this organization's members. Missing permission: "+models.PermMembershipsRead+".")
		return
	}
	var out []MemberPreference
	err := models.InTenant(r.Context(), s.DB, s.TenantRole, func(tx *gorm.DB) (err error) {
		out, err = listPreferences(r.Context(), tx)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

// mine answers the caller's own preference.
func (s *Service) mine(w http.ResponseWriter, r *http.Request) {
	t, _ := models.TenantFrom(r.Context())
	var p Preference
	err := models.InTenant(r.Context(), s.DB, s.TenantRole, func(tx *gorm.DB) (err error) {
		p, err = getPreference(r.Context(), tx, t.UserID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// preferenceInput is the body of PUT /notifications/preferences/me.
type preferenceInput struct {
	EmailDigest *string `json:"email_digest"`
	Mentions    *bool   `json:"mentions"`
}

// save replaces the caller's preference; an invalid body answers 400 or
// 422 with the field errors and writes nothing.
func (s *Service) save(w http.ResponseWriter, r *http.Request) {
	t, _ := models.TenantFrom(r.Context())
	var in preferenceInput
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		gatewayauth.WriteError(w, http.StatusBadRequest, "invalid_json", "The request body must be a JSON object with email_digest and mentions.")
		return
	}
	fields := map[string]string{}
	if in.EmailDigest == nil || !digests[*in.EmailDigest] {
		fields["email_digest"] = "Choose daily, weekly or never."
	}
	if in.Mentions == nil {
		fields["mentions"] = "Say true or false."
	}
	if len(fields) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": map[string]any{
			"code": "validation_failed", "message": "Some fields are not valid.", "fields": fields,
		}})
		return
	}
	var p Preference
	err := models.InTenant(r.Context(), s.DB, s.TenantRole, func(tx *gorm.DB) (err error) {
		p, err = savePreference(r.Context(), tx, Preference{UserID: t.UserID, EmailDigest: *in.EmailDigest, Mentions: *in.Mentions})
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// fail logs err once, with the request's ids, and answers 500 without it.
func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	id, _ := gatewayauth.FromContext(r.Context())
	s.Log.ErrorContext(r.Context(), "request failed", slog.String("request_id", r.Header.Get("X-Request-Id")),
		slog.String("user_id", id.UserID), slog.String("org_id", id.OrgID), slog.Any("error", err))
	gatewayauth.WriteError(w, http.StatusInternalServerError, "internal", "Something went wrong on our side. Please try again in a moment.")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// accessLog writes one line per request with the gateway's request id.
func (s *Service) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := middleware.NewStatusRecorder(w)
		next.ServeHTTP(rec, r)
		s.Log.InfoContext(r.Context(), "request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.Status()), slog.Duration("duration", time.Since(start)),
			slog.String("request_id", r.Header.Get("X-Request-Id")))
	})
}
