-- +goose Up
-- Every instance keeps the directory (users, organizations, memberships:
-- who may enter which organization, and each page's top bar) in memory
-- (models.Directory). Any change to those tables, by any writer, notifies
-- app_directory_changed on commit, and every copy drops what it holds.
-- Statement-level triggers: one notification per statement, none lost to a
-- code path that forgets.
-- +goose StatementBegin
CREATE FUNCTION app_notify_directory_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('app_directory_changed', TG_TABLE_NAME);
  RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER users_directory_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION app_notify_directory_changed();
CREATE TRIGGER organizations_directory_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON organizations
  FOR EACH STATEMENT EXECUTE FUNCTION app_notify_directory_changed();
CREATE TRIGGER memberships_directory_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON memberships
  FOR EACH STATEMENT EXECUTE FUNCTION app_notify_directory_changed();

-- +goose Down
DROP TRIGGER memberships_directory_changed ON memberships;
DROP TRIGGER organizations_directory_changed ON organizations;
DROP TRIGGER users_directory_changed ON users;
DROP FUNCTION app_notify_directory_changed();
