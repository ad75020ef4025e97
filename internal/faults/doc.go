// Package faults holds the fault tests of the whole product: the database
// connection lost in the middle of a tenant write, Clerk unreachable, and
// SIGTERM under load. Each runs the real stack (internal/apptest, or the
// built binary as a subprocess) against a real Postgres; docs/security.md
// lists what each one proves.
package faults
