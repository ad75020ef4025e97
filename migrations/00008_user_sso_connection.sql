-- +goose Up
-- How a user signs in, for the members page: the display name of the
-- enterprise connection (Clerk's enterprise_accounts[].enterprise_connection.name,
-- such as "Initech Okta") of the user's active enterprise account, '' for a
-- user who signs in without SSO. Synced from user.created/updated like the
-- other user columns.
ALTER TABLE users ADD COLUMN sso_connection text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN sso_connection;
