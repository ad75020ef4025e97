package clerkdev

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// pageData is the view model of the hosted pages.
type pageData struct {
	Title       string
	Mode        string // sign-in, sign-up, sign-out, done
	RedirectURL string
	DevBrowser  string
	Identifier  string
	FirstName   string
	LastName    string
	Error       string
	ErrorCode   string // Clerk's error code behind Error, when there is one
	Message     string
	Accounts    []SeedUser
	OtherLink   string
	// Ticket is an invitation's __clerk_ticket; Invitation names its organization.
	Ticket     string
	Invitation string
	Emails     []Email // the outbox page
	// FullName and BackURL are the user page's (accountpage.go); Identifier is
	// its email address.
	FullName string
	BackURL  string
	// Provider and ConnectionID are the identity-provider page's (enterprise.go).
	Provider     string
	ConnectionID string
}

func (s *Server) renderPage(w http.ResponseWriter, status int, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	// No form-action directive: the form's 303 goes to the app's origin.
	w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
	w.WriteHeader(status)
	if err := s.tmpl.Execute(w, d); err != nil {
		s.log.Error("clerkdev: render page", "error", err)
	}
}

// portalRedirect validates an optional redirect_url: "" is fine, otherwise an absolute
// http(s) URL (never javascript: and the like) on an allowed redirect origin. It refuses
// a bad one itself (badRedirect), and ok is false.
func (s *Server) portalRedirect(w http.ResponseWriter, raw string) (redirect string, ok bool) {
	if _, bad := s.checkRedirect(raw, true); bad != nil {
		s.badRedirect(w, bad)
		return "", false
	}
	return raw, true
}

// badRedirect refuses the request, as Clerk does, without a form, a dev-browser token
// or a link to the refused URL.
func (s *Server) badRedirect(w http.ResponseWriter, bad *redirectError) {
	s.renderPage(w, http.StatusBadRequest, pageData{Title: "Invalid redirect", Mode: "done", Error: bad.page})
}

// parsePortalForm parses the form of a POST to a hosted page and checks its
// redirect_url; it answers a bad form or redirect itself, and ok is false.
func (s *Server) parsePortalForm(w http.ResponseWriter, r *http.Request) (redirect string, ok bool) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return "", false
	}
	return s.portalRedirect(w, r.PostForm.Get("redirect_url"))
}

func (s *Server) otherLink(path, redirect, db string) string {
	q := make([]string, 0, 2)
	if redirect != "" {
		q = append(q, "redirect_url="+template.URLQueryEscaper(redirect))
	}
	q = append(q, "__clerk_db_jwt="+template.URLQueryEscaper(db))
	return path + "?" + strings.Join(q, "&")
}

// portalPage checks the redirect_url of a GET to a hosted page (refusing a bad one: ok
// is false) and returns the page's data for mode with the browser's client.
func (s *Server) portalPage(w http.ResponseWriter, r *http.Request, mode string) (d pageData, c *client, ok bool) {
	q := r.URL.Query()
	redirect, ok := s.portalRedirect(w, q.Get("redirect_url"))
	if !ok {
		return d, nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c = s.clientForLocked(r, q.Get("__clerk_db_jwt"))
	d = pageData{Mode: mode, RedirectURL: redirect, DevBrowser: c.DevBrowser, Ticket: q.Get(paramTicket)}
	return d, c, true
}

// showPortal serves GET /sign-in and GET /sign-up, with an invitation's ticket or not.
func (s *Server) showPortal(mode string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, c, ok := s.portalPage(w, r, mode)
		if !ok {
			return
		}
		setClientCookie(w, c)
		if d.Ticket != "" {
			s.showTicketPortal(w, r, d)
			return
		}
		s.renderPortal(w, http.StatusOK, d)
	}
}

func (s *Server) renderPortal(w http.ResponseWriter, status int, d pageData) {
	switch d.Mode {
	case "sign-in":
		d.Title = "Sign in"
		d.Accounts = s.SeedAccounts()
		d.OtherLink = s.otherLink("/sign-up", d.RedirectURL, d.DevBrowser)
	case "sign-up":
		d.Title = "Create your account"
		d.OtherLink = s.otherLink("/sign-in", d.RedirectURL, d.DevBrowser)
	case "sign-out":
		d.Title = "Sign out"
	}
	s.renderPage(w, status, d)
}

// backToApp sends the browser back to the app with the dev browser in the URL, as
// Clerk's development instances do, or shows title and message when there is no
// redirect_url.
func (s *Server) backToApp(w http.ResponseWriter, r *http.Request, redirect, db, title, message string) {
	if redirect == "" {
		s.renderPage(w, http.StatusOK, pageData{Title: title, Mode: "done", Message: message})
		return
	}
	u, _ := absoluteHTTP(redirect)
	http.Redirect(w, r, withQuery(u, "__clerk_db_jwt", db), http.StatusSeeOther)
}

// answerPortalForm answers a POST /sign-in or /sign-up: the form again with d.Error
// (422), else, the session started, back to the app with done as the confirmation.
func (s *Server) answerPortalForm(w http.ResponseWriter, r *http.Request, c *client, d pageData, done string) {
	setClientCookie(w, c)
	if d.Error != "" {
		s.renderPortal(w, http.StatusUnprocessableEntity, d)
		return
	}
	s.backToApp(w, r, d.RedirectURL, d.DevBrowser, done, done)
}

// portalHandler answers the parsed form of a POST to a hosted page, its redirect_url checked.
type portalHandler func(w http.ResponseWriter, r *http.Request, redirect string)

// portalPost serves POST /sign-in or /sign-up: it parses the form and checks its
// redirect_url, then hands the form to withTicket when it carries an invitation's ticket,
// else to plain.
func (s *Server) portalPost(plain, withTicket portalHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		redirect, ok := s.parsePortalForm(w, r)
		if !ok {
			return
		}
		if r.PostForm.Get(paramTicket) != "" {
			withTicket(w, r, redirect)
			return
		}
		plain(w, r, redirect)
	}
}

// signIn handles POST /sign-in: check the password, start a session on the client.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, redirect string) {
	identifier := strings.TrimSpace(r.PostForm.Get("identifier"))
	password := r.PostForm.Get("password")
	s.mu.Lock()
	c := s.clientForLocked(r, r.PostForm.Get("__clerk_db_jwt"))
	d := pageData{Mode: "sign-in", RedirectURL: redirect, DevBrowser: c.DevBrowser, Identifier: identifier}
	if conn := s.connectionForLocked(identifier); conn != nil {
		s.mu.Unlock()
		s.ssoSignIn(w, r, conn, c, d, password)
		return
	}
	u := s.userByEmailLocked(identifier)
	if password == "" {
		d.Error = "Enter your password."
	} else if u == nil || len(u.PasswordHash) == 0 || bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(password)) != nil {
		d.Error = "Incorrect email address or password."
	} else {
		s.startSessionLocked(r, u, c, redirect)
	}
	s.mu.Unlock()
	s.answerPortalForm(w, r, c, d, "You are signed in.")
}

// startSessionLocked starts a session of u on client c whose azp is the origin of redirect.
func (s *Server) startSessionLocked(r *http.Request, u *user, c *client, redirect string) {
	src := requestInfo(r)
	azp := ""
	if t, ok := absoluteHTTP(redirect); ok {
		azp = origin(t)
	}
	s.createSessionLocked(u, c, "", azp, src)
}

// signUp handles POST /sign-up: create the user, then sign in as for POST /sign-in.
func (s *Server) signUp(w http.ResponseWriter, r *http.Request, redirect string) {
	f := r.PostForm
	identifier, password := strings.TrimSpace(f.Get("identifier")), f.Get("password")
	first, last := strings.TrimSpace(f.Get("first_name")), strings.TrimSpace(f.Get("last_name"))
	s.mu.Lock()
	c := s.clientForLocked(r, f.Get("__clerk_db_jwt"))
	d := pageData{Mode: "sign-up", RedirectURL: redirect, DevBrowser: c.DevBrowser,
		Identifier: identifier, FirstName: first, LastName: last}
	conn := s.connectionForLocked(identifier)
	switch {
	case identifier == "":
		d.Error = "Enter your email address."
	case conn != nil:
		s.mu.Unlock()
		setClientCookie(w, c)
		s.ssoRedirect(w, r, conn, identifier, redirect, c.DevBrowser)
		return
	case password == "":
		d.Error = "Enter a password."
	default:
		in := userInput{EmailAddresses: []string{identifier}, Password: &password,
			FirstName: strPtr(first), LastName: strPtr(last)}
		d.Error = s.createAndStartLocked(r, in, c, redirect)
	}
	s.mu.Unlock()
	s.answerPortalForm(w, r, c, d, "Your account is ready and you are signed in.")
}

// createAndStartLocked creates the user of a sign-up (accepting an application
// invitation to its address, see app_invitations.go) and starts its session, or returns
// why the user could not be created.
func (s *Server) createAndStartLocked(r *http.Request, in userInput, c *client, redirect string) string {
	u, e := s.signUpUserLocked(in, requestInfo(r))
	if e != nil {
		return e.LongMessage
	}
	s.startSessionLocked(r, u, c, redirect)
	return ""
}

// showSignOut serves GET /sign-out; unlike the sign-in pages it sets no client cookie.
func (s *Server) showSignOut(w http.ResponseWriter, r *http.Request) {
	if d, _, ok := s.portalPage(w, r, "sign-out"); ok {
		s.renderPortal(w, http.StatusOK, d)
	}
}

// signOut handles POST /sign-out: end every active session of the client.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	redirect, ok := s.parsePortalForm(w, r)
	if !ok {
		return
	}
	src := requestInfo(r)
	s.mu.Lock()
	c := s.clientForLocked(r, r.PostForm.Get("__clerk_db_jwt"))
	for _, id := range c.SessionIDs {
		if sess := s.sessions[id]; sess != nil && sess.Status == "active" {
			s.setSessionStatusLocked(sess, "ended", src)
		}
	}
	s.mu.Unlock()
	setClientCookie(w, c)
	s.backToApp(w, r, redirect, c.DevBrowser, "Signed out", "You are signed out.")
}

// index serves a small home page with links to the hosted pages and the dev endpoints.
func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	s.renderPage(w, http.StatusOK, pageData{Title: "Clerk emulator", Mode: "index", Accounts: s.SeedAccounts()})
}

func (s *Server) stylesheet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	fmt.Fprint(w, pageCSS)
}

// favicon marks the hosted pages as the emulator's (an orange "C").
func (s *Server) favicon(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	fmt.Fprint(w, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#ea580c"/><text x="16" y="22" font-family="sans-serif" font-size="16" font-weight="700" text-anchor="middle" fill="#fff">C</text></svg>`)
}

// avatar serves a generated SVG for the image_url of users and organizations.
func (s *Server) avatar(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSuffix(r.PathValue("file"), ".svg")
	label := "?"
	s.mu.Lock()
	if u := s.users[id]; u != nil {
		label = initials(derefStr(u.FirstName)+" "+derefStr(u.LastName), u.primaryEmail())
	} else if o := s.orgs[id]; o != nil {
		label = initials(o.Name, o.Slug)
	}
	s.mu.Unlock()
	hue := 0
	for _, b := range []byte(id) {
		hue = (hue*31 + int(b)) % 360
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=300")
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">`+
		`<rect width="64" height="64" rx="32" fill="hsl(%d,55%%,45%%)"/>`+
		`<text x="32" y="40" font-family="sans-serif" font-size="24" fill="#fff" text-anchor="middle">%s</text></svg>`,
		hue, template.HTMLEscapeString(label))
}

func initials(name, fallback string) string {
	var out []rune
	for _, f := range strings.Fields(name) {
		out = append(out, []rune(strings.ToUpper(f))[0])
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 && fallback != "" {
		out = []rune(strings.ToUpper(fallback[:1]))
	}
	return string(out)
}

// ssoSignIn answers a sign-in of an address whose domain has an enterprise connection:
// to the identity provider without a password, else Clerk's refusal of the strategy.
func (s *Server) ssoSignIn(w http.ResponseWriter, r *http.Request, conn *connection, c *client, d pageData, password string) {
	setClientCookie(w, c)
	if password == "" {
		s.ssoRedirect(w, r, conn, d.Identifier, d.RedirectURL, d.DevBrowser)
		return
	}
	e := errStrategyForUser()
	d.Error = e.LongMessage + ". " + conn.Name + " signs in " + conn.Domain + " addresses: leave the password empty to continue with it."
	d.ErrorCode = e.Code
	s.renderPortal(w, http.StatusUnprocessableEntity, d)
}
