package config

import "net/url"

// validateDatabaseURL accepts no URL (only serving needs one) or a
// postgres:// URL; the value is never echoed, as it holds a password.
func validateDatabaseURL(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return bad("DATABASE_URL", "must be a URL such as postgres://user:pass@host:5432/db?sslmode=disable (value not shown)")
	}
	return nil
}

// isIdentifier reports whether s is a plain lower-case SQL identifier, a role
// name Postgres takes without quoting (DB_TENANT_ROLE).
func isIdentifier(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i, r := range s {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}
