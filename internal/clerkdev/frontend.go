package clerkdev

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
)

// reqInfo is what webhook events record about the request that caused them.
type reqInfo struct {
	IP string
	UA string
}

func requestInfo(r *http.Request) reqInfo {
	ip := r.RemoteAddr
	if h, _, err := net.SplitHostPort(ip); err == nil {
		ip = h
	}
	return reqInfo{IP: ip, UA: r.UserAgent()}
}

// absoluteHTTP parses an absolute http(s) URL; anything else (javascript:, relative…) fails.
func absoluteHTTP(raw string) (*url.URL, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, false
	}
	return u, true
}

func origin(u *url.URL) string { return u.Scheme + "://" + u.Host }

// withQuery returns u with key=value added to its query.
func withQuery(u *url.URL, key, value string) string {
	c := *u
	q := c.Query()
	q.Set(key, value)
	c.RawQuery = q.Encode()
	return c.String()
}

func (s *Server) newClientLocked() *client {
	c := &client{ID: newID("client"), DevBrowser: "dvb_" + randomString(27)}
	s.clients[c.ID] = c
	s.devBrowsers[c.DevBrowser] = c.ID
	return c
}

// clientForLocked finds the browser's client: by the dev-browser token when one is
// given, else by the emulator's own cookie; otherwise it creates a new dev browser.
func (s *Server) clientForLocked(r *http.Request, devBrowser string) *client {
	if devBrowser == "" {
		if ck, err := r.Cookie(ClientCookie); err == nil {
			devBrowser = ck.Value
		}
	}
	if id, ok := s.devBrowsers[devBrowser]; ok {
		if c := s.clients[id]; c != nil {
			return c
		}
	}
	return s.newClientLocked()
}

// activeSessionLocked returns the client's most recent active session, or nil.
func (s *Server) activeSessionLocked(c *client) *session {
	for i := len(c.SessionIDs) - 1; i >= 0; i-- {
		if sess := s.sessions[c.SessionIDs[i]]; sess != nil && sess.Status == "active" {
			return sess
		}
	}
	return nil
}

func setClientCookie(w http.ResponseWriter, c *client) {
	http.SetCookie(w, &http.Cookie{Name: ClientCookie, Value: c.DevBrowser, Path: "/",
		MaxAge: 315360000, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// buildDirectives returns the Set-Cookie strings for the app's host (host-only, no Domain).
// token "" means signed out. With a suffix, each cookie is also written suffixed.
func buildDirectives(token string, uat int64, devBrowser, suffix string) []string {
	names := []string{""}
	if suffix != "" {
		names = append(names, "_"+suffix)
	}
	out := []string{"__clerk_handshake=; Path=/; Max-Age=0", "__clerk_handshake_nonce=; Path=/; Max-Age=0"}
	for _, n := range names {
		if token == "" {
			out = append(out, "__session"+n+"=; Path=/; Max-Age=0")
		} else {
			out = append(out, "__session"+n+"="+token+"; Path=/; SameSite=Lax")
		}
	}
	for _, n := range names {
		out = append(out, "__client_uat"+n+"="+strconv.FormatInt(uat, 10)+"; Path=/; Max-Age=315360000; SameSite=Lax")
	}
	for _, n := range names {
		out = append(out, "__clerk_db_jwt"+n+"="+devBrowser+"; Path=/; Max-Age=315360000; SameSite=Lax")
	}
	return out
}

// handshake answers the Frontend API's GET /v1/client/handshake (development flavour):
// it identifies the dev browser, optionally switches the active organization, and sends
// the browser back to redirect_url with the signed directives (or a nonce for them).
func (s *Server) handshake(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	target, bad := s.checkRedirect(q.Get("redirect_url"), false)
	if bad != nil {
		w.Header().Set("Cache-Control", "no-store")
		writeAPIError(w, bad.api)
		return
	}
	s.mu.Lock()
	c := s.clientForLocked(r, q.Get("__clerk_db_jwt"))
	sess := s.activeSessionLocked(c)
	token, uat := "", int64(0)
	if sess != nil {
		if q.Has("organization_id") {
			if v := q.Get("organization_id"); v == "" {
				sess.ActiveOrgID = ""
			} else if o := s.orgByIDOrSlugLocked(v); o != nil && s.membershipLocked(o.ID, sess.UserID) != nil {
				sess.ActiveOrgID = o.ID
			}
		}
		var err error
		token, _, err = s.mintLocked(sess, origin(target), 0)
		if err != nil {
			s.mu.Unlock()
			http.Error(w, "clerkdev: cannot sign the session token", http.StatusInternalServerError)
			return
		}
		uat = c.UpdatedAt
	}
	suffix := ""
	if q.Get("suffixed_cookies") == "true" {
		suffix = CookieSuffix(publishableKey(s.baseURL))
	}
	directives := buildDirectives(token, uat, c.DevBrowser, suffix)
	var location string
	if s.cfg.PreferNonceHandshake && q.Get("format") == "nonce" {
		nonce := randomString(32)
		s.nonces[nonce] = directives
		location = withQuery(target, "__clerk_handshake_nonce", nonce)
	} else {
		hs, err := s.signJWTLocked(map[string]any{"handshake": directives})
		if err != nil {
			s.mu.Unlock()
			http.Error(w, "clerkdev: cannot sign the handshake", http.StatusInternalServerError)
			return
		}
		location = withQuery(target, "__clerk_handshake", hs)
	}
	s.mu.Unlock()
	setClientCookie(w, c)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, location, http.StatusTemporaryRedirect)
}

// handshakePayload answers BAPI GET /v1/clients/handshake_payload?nonce=; each nonce
// can be redeemed once.
func (s *Server) handshakePayload(w http.ResponseWriter, r *http.Request) {
	nonce := r.URL.Query().Get("nonce")
	s.mu.Lock()
	d, ok := s.nonces[nonce]
	delete(s.nonces, nonce)
	s.mu.Unlock()
	if nonce == "" {
		writeAPIError(w, errQueryParamMissing("nonce"))
		return
	}
	if !ok {
		writeAPIError(w, errNotFound("handshake payload"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"directives": d})
}
