// Package migrations embeds the SQL migrations applied by goose.
//
// Every migration runs in a transaction. Migrations that create tenant-owned
// tables enable and force row-level security on them; the tenant role's name
// comes from the session setting app.tenant_role, which the migrator sets from
// DB_TENANT_ROLE (see internal/database).
package migrations

import "embed"

// FS holds the *.sql files of this directory.
//
//go:embed *.sql
var FS embed.FS
