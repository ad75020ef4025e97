package clerkdev

import (
	"net/http"
	"slices"
	"time"
)

// sessionActivityJSON is Clerk's session_activity object. The emulator does not locate
// IP addresses, so city and country are empty.
type sessionActivityJSON struct {
	Object         string `json:"object"`
	ID             string `json:"id"`
	DeviceType     string `json:"device_type"`
	IsMobile       bool   `json:"is_mobile"`
	BrowserName    string `json:"browser_name"`
	BrowserVersion string `json:"browser_version"`
	IPAddress      string `json:"ip_address"`
	City           string `json:"city"`
	Country        string `json:"country"`
}

// sessionJSON is Clerk's session object. Webhook events also carry the user.
type sessionJSON struct {
	Object                   string               `json:"object"`
	ID                       string               `json:"id"`
	UserID                   string               `json:"user_id"`
	User                     *userJSON            `json:"user,omitempty"`
	ClientID                 string               `json:"client_id"`
	Actor                    *string              `json:"actor"`
	Status                   string               `json:"status"`
	LastActiveOrganizationID *string              `json:"last_active_organization_id"`
	LastActiveAt             int64                `json:"last_active_at"`
	LatestActivity           *sessionActivityJSON `json:"latest_activity"`
	ExpireAt                 int64                `json:"expire_at"`
	AbandonAt                int64                `json:"abandon_at"`
	UpdatedAt                int64                `json:"updated_at"`
	CreatedAt                int64                `json:"created_at"`
}

func (s *Server) sessionJSONLocked(sess *session, withUser bool) sessionJSON {
	out := sessionJSON{
		Object: "session", ID: sess.ID, UserID: sess.UserID, ClientID: sess.ClientID,
		Status: sess.Status, LastActiveOrganizationID: strPtr(sess.ActiveOrgID),
		LastActiveAt: sess.LastActiveAt, ExpireAt: sess.ExpireAt, AbandonAt: sess.AbandonAt,
		UpdatedAt: sess.UpdatedAt, CreatedAt: sess.CreatedAt,
	}
	if sess.IP != "" {
		d := describeUserAgent(sess.UserAgent)
		out.LatestActivity = &sessionActivityJSON{Object: "session_activity", ID: "activity_" + sess.ID[len("sess_"):],
			DeviceType: d.DeviceType, IsMobile: d.IsMobile, BrowserName: d.BrowserName,
			BrowserVersion: d.BrowserVersion, IPAddress: sess.IP}
	}
	if withUser {
		if u := s.users[sess.UserID]; u != nil {
			uj := s.userJSONLocked(u)
			out.User = &uj
		}
	}
	return out
}

// createSessionLocked starts an active session of u on client c and emits session.created.
func (s *Server) createSessionLocked(u *user, c *client, activeOrgID, azp string, src reqInfo) *session {
	now := s.now()
	ms := s.stampLocked()
	sess := &session{ID: newID("sess"), ClientID: c.ID, UserID: u.ID, Status: "active",
		ActiveOrgID: activeOrgID, Azp: azp, IP: src.IP, UserAgent: src.UA,
		LastActiveAt: ms, ExpireAt: ms + (7 * 24 * time.Hour).Milliseconds(),
		AbandonAt: ms + (30 * 24 * time.Hour).Milliseconds(), CreatedAt: ms, UpdatedAt: ms,
		SignedInAtSec: now.Unix()}
	s.sessions[sess.ID] = sess
	c.SessionIDs = append(c.SessionIDs, sess.ID)
	c.UpdatedAt = max(c.UpdatedAt, now.Unix())
	u.LastSignInAt = &ms
	u.LastActiveAt = &ms
	s.emitLocked("session.created", sess.ID, s.sessionJSONLocked(sess, true), src)
	return sess
}

// setSessionStatusLocked moves an active session to ended, revoked or removed and emits
// session.<status>.
func (s *Server) setSessionStatusLocked(sess *session, status string, src reqInfo) {
	sess.Status = status
	sess.UpdatedAt = s.stampLocked()
	if c := s.clients[sess.ClientID]; c != nil {
		c.UpdatedAt = max(c.UpdatedAt, s.now().Unix())
	}
	s.emitLocked("session."+status, sess.ID, s.sessionJSONLocked(sess, true), src)
}

type sessionInput struct {
	UserID               *string `json:"user_id"`
	ActiveOrganizationID *string `json:"active_organization_id"` // emulator extension
	Azp                  *string `json:"azp"`                    // emulator extension
}

// createSession answers POST /v1/sessions. The session gets its own client.
func (s *Server) createSession(w http.ResponseWriter, r *http.Request) {
	var in sessionInput
	if e := decodeBody(r, &in); e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.UserID == nil || *in.UserID == "" {
		writeAPIError(w, errParamMissing("user_id"))
		return
	}
	u := s.users[*in.UserID]
	if u == nil {
		writeAPIError(w, errUserNotFound(*in.UserID))
		return
	}
	orgID := ""
	if in.ActiveOrganizationID != nil && *in.ActiveOrganizationID != "" {
		o := s.orgByIDOrSlugLocked(*in.ActiveOrganizationID)
		if o == nil || s.membershipLocked(o.ID, u.ID) == nil {
			writeAPIError(w, errParamInvalid("active_organization_id", "The user is not a member of organization "+*in.ActiveOrganizationID+"."))
			return
		}
		orgID = o.ID
	}
	c := s.newClientLocked()
	sess := s.createSessionLocked(u, c, orgID, derefStr(in.Azp), requestInfo(r))
	writeJSON(w, http.StatusOK, s.sessionJSONLocked(sess, false))
}

func (s *Server) getSession(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[r.PathValue("id")]
	if sess == nil {
		writeAPIError(w, errSessionNotFound(r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, s.sessionJSONLocked(sess, false))
}

// listSessions answers GET /v1/sessions: with paginated=true (as clerk-sdk-go sends) a
// {data,total_count} envelope, otherwise a bare array like Clerk's legacy form.
func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) {
	limit, offset, e := page(r)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*session
	for _, sess := range s.sessions {
		if (q.Get("user_id") != "" && sess.UserID != q.Get("user_id")) ||
			(q.Get("client_id") != "" && sess.ClientID != q.Get("client_id")) ||
			(q.Get("status") != "" && sess.Status != q.Get("status")) {
			continue
		}
		all = append(all, sess)
	}
	slices.SortFunc(all, func(a, b *session) int { return int(b.CreatedAt - a.CreatedAt) })
	writeList(w, r, pageOf(all, limit, offset, func(sess *session) sessionJSON { return s.sessionJSONLocked(sess, false) }), len(all))
}

func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[r.PathValue("id")]
	if sess == nil {
		writeAPIError(w, errSessionNotFound(r.PathValue("id")))
		return
	}
	if sess.Status == "active" {
		s.setSessionStatusLocked(sess, "revoked", requestInfo(r))
	}
	writeJSON(w, http.StatusOK, s.sessionJSONLocked(sess, false))
}

// createSessionToken answers POST /v1/sessions/{id}/tokens with {"object":"token","jwt"}
// (see jwt_templates.go for the body and the session checks it shares with template tokens).
func (s *Server) createSessionToken(w http.ResponseWriter, r *http.Request) {
	s.tokenRequest(w, r, 60, func(sess *session, ttl int64) {
		tok, _, err := s.mintLocked(sess, sess.Azp, time.Duration(ttl)*time.Second)
		writeToken(w, tok, err)
	})
}
