package models

import (
	"strings"

	"github.com/google/uuid"
)

// ValidID reports whether id is a UUID, the form of every tenant row's id:
// anything else cannot exist and is answered as not found without asking
// the database (which would fail on the cast).
func ValidID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil && len(id) == 36
}

// escapeLike escapes LIKE's wildcards, so a search for "50%" means it.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
