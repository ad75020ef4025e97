package models

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// takeOne returns the one row of T that q selects; ErrNotFound when there is
// none. what names the row in errors, for example "project <id>":
//
//	takeOne[Project](db.WithContext(ctx).Where("id = ?", id), "project "+id)
func takeOne[T any](q *gorm.DB, what string) (*T, error) {
	var row T
	err := q.Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return &row, nil
}

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
