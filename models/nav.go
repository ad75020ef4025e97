package models

import (
	"context"
	"database/sql"
	"fmt"

	"gorm.io/gorm"
)

// UserAndOrganizations returns the user (nil if never synced) and the live
// organizations they belong to, by name, in one query: what every page's
// top bar and organization switcher show. Deliberately unscoped: synced tables.
func UserAndOrganizations(ctx context.Context, db *gorm.DB, userID string) (*User, []UserOrganization, error) {
	rows, err := db.WithContext(ctx).Raw(`
SELECT u.id, u.email, u.first_name, u.last_name, u.image_url, o.id, o.name, o.slug, m.role
FROM users u
LEFT JOIN memberships m ON m.user_id = u.id
LEFT JOIN organizations o ON o.id = m.organization_id AND o.deleted_at IS NULL
WHERE u.id = ?
ORDER BY lower(o.name), o.id`, userID).Rows()
	if err != nil {
		return nil, nil, fmt.Errorf("user and organizations of %s: %w", userID, err)
	}
	defer rows.Close()
	var u *User
	var orgs []UserOrganization
	for rows.Next() {
		var cur User
		var orgID, name, slug, role sql.NullString
		if err := rows.Scan(&cur.ID, &cur.Email, &cur.FirstName, &cur.LastName, &cur.ImageURL, &orgID, &name, &slug, &role); err != nil {
			return nil, nil, fmt.Errorf("user and organizations of %s: %w", userID, err)
		}
		if u == nil {
			u = &cur
		}
		if orgID.Valid {
			uo := UserOrganization{Role: role.String}
			uo.ID, uo.Name, uo.Slug = orgID.String, name.String, NullableText(slug.String)
			orgs = append(orgs, uo)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("user and organizations of %s: %w", userID, err)
	}
	return u, orgs, nil
}
