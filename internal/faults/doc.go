// Package faults holds the fault tests of the whole product: the database
// connections terminated under load or in the middle of a tenant write, the
// database stopped or unreachable, a stuck query, an app restart while
// Clerk delivers, Clerk unreachable, and SIGTERM under load. Each runs the
// real stack (internal/apptest, or the built binary as a subprocess)
// against a real Postgres; docs/operations.md and docs/security.md list
// what each one proves.
package faults
