package clerkdev

import "html/template"

// pagesTemplate parses the one template of the hosted pages. No JavaScript anywhere.
func pagesTemplate() *template.Template {
	return template.Must(template.New("page").Parse(pageHTML))
}

const pageHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Clerk emulator</title>
<link rel="stylesheet" href="/__clerkdev/style.css">
<link rel="icon" href="/__clerkdev/favicon.svg" type="image/svg+xml">
</head>
<body>
<main class="card{{if eq .Mode "outbox"}} wide{{end}}" data-testid="clerkdev-{{.Mode}}">
<p class="badge">Development · local Clerk emulator</p>
<h1>{{.Title}}</h1>
{{if .Error}}<p class="error" role="alert" data-testid="error"{{if .ErrorCode}} data-code="{{.ErrorCode}}"{{end}}>{{.Error}}</p>{{end}}
{{if .Message}}<p class="message" role="status" data-testid="message">{{.Message}}</p>{{end}}
{{if .Invitation}}<p class="message" data-testid="invitation">You are invited to join <strong>{{.Invitation}}</strong>.</p>{{end}}
{{if eq .Mode "sign-in"}}
<form method="post" action="/sign-in" data-testid="sign-in-form">
  <input type="hidden" name="redirect_url" value="{{.RedirectURL}}">
  <input type="hidden" name="__clerk_db_jwt" value="{{.DevBrowser}}">
  {{if .Ticket}}<input type="hidden" name="__clerk_ticket" value="{{.Ticket}}">{{end}}
  <label for="identifier">Email address</label>
  <input id="identifier" name="identifier" type="email" autocomplete="username" required value="{{.Identifier}}"{{if .Ticket}} readonly{{end}}>
  {{if not .Ticket}}<label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" aria-describedby="password-hint">
  <p class="meta" id="password-hint">Leave it empty if your organization signs in with SSO.</p>{{end}}
  <button type="submit" data-testid="submit">Continue</button>
</form>
{{if not .Ticket}}<p>No account? <a href="{{.OtherLink}}">Sign up</a></p>
{{if .Accounts}}<section aria-labelledby="accounts-h" class="accounts">
  <h2 id="accounts-h">Development accounts</h2>
  <ul>{{range .Accounts}}<li><code>{{.Email}}</code> {{if .Password}}/ <code>{{.Password}}</code>{{else}}(SSO, no password){{end}}</li>{{end}}</ul>
</section>{{end}}{{end}}
{{else if eq .Mode "sign-up"}}
<form method="post" action="/sign-up" data-testid="sign-up-form">
  <input type="hidden" name="redirect_url" value="{{.RedirectURL}}">
  <input type="hidden" name="__clerk_db_jwt" value="{{.DevBrowser}}">
  {{if .Ticket}}<input type="hidden" name="__clerk_ticket" value="{{.Ticket}}">{{end}}
  {{template "names" .}}
  <label for="identifier">Email address</label>
  <input id="identifier" name="identifier" type="email" autocomplete="email" required value="{{.Identifier}}"{{if .Ticket}} readonly{{end}}>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="new-password" minlength="8" aria-describedby="password-hint">
  <p class="meta" id="password-hint">Not needed if your organization signs in with SSO.</p>
  <button type="submit" data-testid="submit">Continue</button>
</form>
{{if not .Ticket}}<p>Have an account? <a href="{{.OtherLink}}">Sign in</a></p>{{end}}
{{else if eq .Mode "sso"}}
<p class="meta" data-testid="sso-provider">Identity provider <strong>{{.Provider}}</strong> (emulated: it stands in for your company's Okta or Entra ID sign-in and trusts what you type).</p>
<form method="post" action="/__clerkdev/sso/{{.ConnectionID}}" data-testid="sso-form">
  <input type="hidden" name="redirect_url" value="{{.RedirectURL}}">
  <input type="hidden" name="__clerk_db_jwt" value="{{.DevBrowser}}">
  <label for="email">Email address</label>
  <input id="email" name="email" type="email" readonly value="{{.Identifier}}">
  {{template "names" .}}
  <button type="submit" data-testid="sso-submit">Sign in</button>
</form>
{{else if eq .Mode "sign-out"}}
<form method="post" action="/sign-out" data-testid="sign-out-form">
  <input type="hidden" name="redirect_url" value="{{.RedirectURL}}">
  <input type="hidden" name="__clerk_db_jwt" value="{{.DevBrowser}}">
  <p>End your session in this browser?</p>
  <button type="submit" data-testid="submit">Sign out</button>
</form>
{{else if eq .Mode "account"}}
<section aria-labelledby="profile-h" data-testid="account-profile">
  <h2 id="profile-h" class="sr-only">Profile</h2>
  <p class="name" data-testid="account-name">{{if .FullName}}{{.FullName}}{{else}}{{.Identifier}}{{end}}</p>
  <p class="meta">Primary email <code data-testid="account-email">{{.Identifier}}</code></p>
</section>
<form method="post" action="/user" data-testid="account-name-form">
  <input type="hidden" name="redirect_url" value="{{.RedirectURL}}">
  <input type="hidden" name="__clerk_db_jwt" value="{{.DevBrowser}}">
  {{template "names" .}}
  <button type="submit" data-testid="account-save">Save name</button>
</form>
<form method="post" action="/user/sign-out-all" data-testid="account-sign-out-all-form">
  <input type="hidden" name="redirect_url" value="{{.RedirectURL}}">
  <input type="hidden" name="__clerk_db_jwt" value="{{.DevBrowser}}">
  <h2>Sessions</h2>
  <p class="meta">Ends your sessions in every browser and app, this one included.</p>
  <button type="submit" class="secondary" data-testid="account-sign-out-all">Sign out of all sessions</button>
</form>
{{if .BackURL}}<p><a href="{{.BackURL}}" data-testid="account-back">Back to the app</a></p>{{end}}
{{else if eq .Mode "index"}}
<ul>
  <li><a href="/sign-in">Sign in</a> · <a href="/sign-up">Sign up</a> · <a href="/user">Account</a> · <a href="/sign-out">Sign out</a></li>
  <li><a href="/__clerkdev/emails">Emails (outbox)</a> · <a href="/__clerkdev/deliveries">Webhook deliveries</a> · <a href="/__clerkdev/stats">Backend API stats</a> · <a href="/.well-known/jwks.json">JWKS</a></li>
</ul>
{{if .Accounts}}<section aria-labelledby="accounts-h" class="accounts">
  <h2 id="accounts-h">Development accounts</h2>
  <ul>{{range .Accounts}}<li><code>{{.Email}}</code> {{if .Password}}/ <code>{{.Password}}</code>{{else}}(SSO, no password){{end}}</li>{{end}}</ul>
</section>{{end}}
{{else if eq .Mode "outbox"}}
<p>Every email this instance would have sent, most recent first. None leaves this machine.</p>
{{range .Emails}}<article class="email" data-testid="email" data-to="{{.To}}">
  <h2 data-testid="email-subject">{{.Subject}}</h2>
  <p class="meta">To <code data-testid="email-to">{{.To}}</code> · {{.SentAt.UTC.Format "2006-01-02 15:04:05 UTC"}} · {{.Template}}</p>
  <p class="body">{{.Body}}</p>
  <ul>{{range .Links}}<li><a href="{{.}}" data-testid="email-link">{{.}}</a></li>{{end}}</ul>
</article>{{else}}<p data-testid="outbox-empty">No emails yet.</p>{{end}}
{{end}}
</main>
</body>
</html>
{{define "names"}}<div class="row">
    <div><label for="first_name">First name</label>
    <input id="first_name" name="first_name" autocomplete="given-name" value="{{.FirstName}}"></div>
    <div><label for="last_name">Last name</label>
    <input id="last_name" name="last_name" autocomplete="family-name" value="{{.LastName}}"></div>
  </div>{{end}}`

const pageCSS = `:root { color-scheme: light dark; --bg: #f4f4f5; --card: #fff; --fg: #18181b; --muted: #71717a;
  --accent: #6c47ff; --link: #6c47ff; --border: #d4d4d8; --error: #b91c1c; }
@media (prefers-color-scheme: dark) { :root { --bg: #09090b; --card: #18181b; --fg: #fafafa; --muted: #a1a1aa;
  --link: #a78bfa; --border: #3f3f46; --error: #f87171; } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--bg); color: var(--fg);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
.card { width: min(26rem, 92vw); background: var(--card); border: 1px solid var(--border); border-radius: 12px;
  padding: 2rem; box-shadow: 0 10px 30px rgb(0 0 0 / 8%); }
h1 { font-size: 1.35rem; margin: .25rem 0 1rem; }
h2 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
.badge { display: inline-block; margin: 0; font-size: .75rem; color: var(--muted); }
label { display: block; font-size: .875rem; font-weight: 600; margin: .75rem 0 .25rem; }
input { width: 100%; padding: .55rem .7rem; border: 1px solid var(--border); border-radius: 8px; font: inherit;
  background: transparent; color: inherit; }
input:focus-visible, button:focus-visible, a:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
button { width: 100%; margin-top: 1.25rem; padding: .6rem; border: 0; border-radius: 8px; background: var(--accent);
  color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
.row { display: grid; grid-template-columns: 1fr 1fr; gap: .75rem; }
.error { color: var(--error); font-weight: 600; }
.message { font-weight: 600; }
a { color: var(--link); }
.accounts { color: var(--muted); font-size: .875rem; }
.accounts ul { padding-left: 1.1rem; margin: 0; }
.card.wide { width: min(48rem, 96vw); }
.email { border-top: 1px solid var(--border); padding-top: .5rem; }
.email .meta { color: var(--muted); font-size: .875rem; }
.email .body { white-space: pre-line; overflow-wrap: anywhere; }
.email a { overflow-wrap: anywhere; }
input[readonly] { color: var(--muted); }
.name { font-size: 1.1rem; font-weight: 600; margin: 0; }
.meta { color: var(--muted); font-size: .875rem; }
button.secondary { background: transparent; color: var(--error); border: 1px solid var(--border); }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`
