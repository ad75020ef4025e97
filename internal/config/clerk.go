package config

import (
	"encoding/base64"
	"errors"
	"net"
	"net/url"
	"strings"
)

// Clerk holds the Clerk instance settings.
type Clerk struct {
	SecretKey         string
	PublishableKey    string
	APIURL            string
	FrontendAPIURL    string
	SignInURL         string
	SignUpURL         string
	WebhookSecret     string
	AuthorizedParties []string
}

// UsesEmulator reports whether Clerk is the local emulator (a loopback
// Frontend or Backend API), so the app can say so loudly.
func (c *Config) UsesEmulator() bool {
	return isLoopbackURL(c.Clerk.FrontendAPIURL) || isLoopbackURL(c.Clerk.APIURL)
}

func (c *Config) loadClerk(getenv Getenv) error {
	k := Clerk{
		SecretKey:      getenv("CLERK_SECRET_KEY"),
		PublishableKey: getenv("CLERK_PUBLISHABLE_KEY"),
		APIURL:         strings.TrimRight(getenv("CLERK_API_URL"), "/"),
		FrontendAPIURL: strings.TrimRight(getenv("CLERK_FRONTEND_API_URL"), "/"),
		SignInURL:      getenv("CLERK_SIGN_IN_URL"),
		SignUpURL:      getenv("CLERK_SIGN_UP_URL"),
		WebhookSecret:  getenv("CLERK_WEBHOOK_SIGNING_SECRET"),
	}
	if k.SecretKey != "" && !hasAnyPrefix(k.SecretKey, "sk_test_", "sk_live_") {
		return bad("CLERK_SECRET_KEY", "must start with sk_test_ or sk_live_ (value not shown)")
	}
	if k.APIURL == "" {
		k.APIURL = "https://api.clerk.com/v1"
	}
	if err := checkURL("CLERK_API_URL", k.APIURL); err != nil {
		return err
	}
	if k.PublishableKey != "" {
		host, err := FrontendAPIHost(k.PublishableKey)
		if err != nil {
			return bad("CLERK_PUBLISHABLE_KEY", "%v", err)
		}
		if k.FrontendAPIURL == "" {
			k.FrontendAPIURL = "https://" + host
		}
	}
	if k.FrontendAPIURL != "" {
		if err := checkURL("CLERK_FRONTEND_API_URL", k.FrontendAPIURL); err != nil {
			return err
		}
	}
	if k.WebhookSecret != "" && !strings.HasPrefix(k.WebhookSecret, "whsec_") {
		return bad("CLERK_WEBHOOK_SIGNING_SECRET", "must start with whsec_ (value not shown)")
	}
	portal := AccountPortalURL(k.FrontendAPIURL)
	if k.SignInURL == "" && portal != "" {
		k.SignInURL = portal + "/sign-in"
	}
	if k.SignUpURL == "" && portal != "" {
		k.SignUpURL = portal + "/sign-up"
	}
	for name, v := range map[string]string{"CLERK_SIGN_IN_URL": k.SignInURL, "CLERK_SIGN_UP_URL": k.SignUpURL} {
		if v != "" {
			if err := checkURL(name, v); err != nil {
				return err
			}
		}
	}
	parties, err := parseParties(getenv("CLERK_AUTHORIZED_PARTIES"), c.BaseURL)
	if err != nil {
		return err
	}
	k.AuthorizedParties = parties
	c.Clerk = k
	return nil
}

func parseParties(v string, base *url.URL) ([]string, error) {
	if strings.TrimSpace(v) == "" {
		return []string{base.Scheme + "://" + base.Host}, nil
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimRight(strings.TrimSpace(p), "/")
		if p == "" {
			continue
		}
		u, err := url.Parse(p)
		if err != nil || u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return nil, bad("CLERK_AUTHORIZED_PARTIES", "must be a comma list of origins such as https://app.example.com, got %q", p)
		}
		out = append(out, u.Scheme+"://"+u.Host)
	}
	return out, nil
}

// FrontendAPIHost decodes the Frontend API host from a publishable key
// (pk_test_/pk_live_ + base64 of "<host>$"), with the checks Clerk's SDKs make.
func FrontendAPIHost(pk string) (string, error) {
	parts := strings.Split(pk, "_")
	if len(parts) != 3 || parts[0] != "pk" || (parts[1] != "test" && parts[1] != "live") {
		return "", errors.New("must look like pk_test_… or pk_live_…")
	}
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(parts[2], "="))
	if err != nil {
		return "", errors.New("is not valid base64 after pk_test_/pk_live_")
	}
	s := string(raw)
	if strings.Count(s, "$") != 1 || !strings.HasSuffix(s, "$") || !strings.Contains(s, ".") {
		return "", errors.New("does not encode a Frontend API host")
	}
	return strings.TrimSuffix(s, "$"), nil
}

// AccountPortalURL derives Clerk's hosted pages from the Frontend API URL:
// clerk.accounts.dev hosts become accounts.dev, clerk.<domain> becomes
// accounts.<domain>; anything else (the emulator) serves the pages itself.
func AccountPortalURL(fapi string) string {
	u, err := url.Parse(fapi)
	if err != nil || u.Host == "" {
		return ""
	}
	switch {
	case strings.Contains(u.Host, ".clerk.accounts."):
		u.Host = strings.Replace(u.Host, ".clerk.accounts.", ".accounts.", 1)
	case strings.HasPrefix(u.Host, "clerk."):
		u.Host = "accounts." + strings.TrimPrefix(u.Host, "clerk.")
	}
	return u.Scheme + "://" + u.Host
}

func checkURL(name, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad(name, "must be an absolute http(s) URL, got %q", v)
	}
	return nil
}

func isLoopbackURL(v string) bool {
	u, err := url.Parse(v)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
