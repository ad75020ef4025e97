-- +goose Up
-- The organization a user opened last, so signing in lands there again on any
-- device and after signing out. The app writes it, never Clerk: the webhook
-- upsert of users names its columns and leaves this one alone. A deleted
-- organization row lets go of it; a lost membership is checked on landing.
ALTER TABLE users ADD COLUMN last_organization_id text REFERENCES organizations (id) ON DELETE SET NULL;

-- Recording the last organization is not a directory change: no instance's
-- copy holds it, so it must not make every copy start over (00004). The
-- users trigger fires only for statements that set a column the directory
-- shows; a column added to users that the directory reads belongs here too.
DROP TRIGGER users_directory_changed ON users;
CREATE TRIGGER users_directory_changed
  AFTER INSERT OR DELETE OR TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION app_notify_directory_changed();
CREATE TRIGGER users_directory_updated
  AFTER UPDATE OF id, email, first_name, last_name, image_url, clerk_updated_at, deleted_at ON users
  FOR EACH STATEMENT EXECUTE FUNCTION app_notify_directory_changed();

-- +goose Down
DROP TRIGGER users_directory_updated ON users;
DROP TRIGGER users_directory_changed ON users;
CREATE TRIGGER users_directory_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION app_notify_directory_changed();
ALTER TABLE users DROP COLUMN last_organization_id;
