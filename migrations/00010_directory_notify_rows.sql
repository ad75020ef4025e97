-- +goose Up
-- The directory's notifications (00004, 00005) come from row-level triggers
-- instead of statement-level ones: a statement that changes no row — a
-- duplicate webhook delivery, an older event that loses to a newer one, an
-- upsert with nothing new — no longer makes every instance drop its copy.
-- A statement-level trigger fires for every INSERT … ON CONFLICT whatever
-- it wrote, so every webhook delivery notified, and every instance's next
-- requests read the directory from the database again. Postgres delivers
-- one notification per channel and payload per transaction, however many
-- rows fire it. TRUNCATE has no rows: it keeps its statement-level trigger.
DROP TRIGGER users_directory_changed ON users;
DROP TRIGGER users_directory_updated ON users;
DROP TRIGGER organizations_directory_changed ON organizations;
DROP TRIGGER memberships_directory_changed ON memberships;

CREATE TRIGGER users_directory_changed
  AFTER INSERT OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION app_notify_directory_changed();
CREATE TRIGGER users_directory_updated
  AFTER UPDATE OF id, email, first_name, last_name, image_url, clerk_updated_at, deleted_at ON users
  FOR EACH ROW EXECUTE FUNCTION app_notify_directory_changed();
CREATE TRIGGER users_directory_truncated
  AFTER TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION app_notify_directory_changed();
CREATE TRIGGER organizations_directory_changed
  AFTER INSERT OR UPDATE OR DELETE ON organizations
  FOR EACH ROW EXECUTE FUNCTION app_notify_directory_changed();
CREATE TRIGGER organizations_directory_truncated
  AFTER TRUNCATE ON organizations
  FOR EACH STATEMENT EXECUTE FUNCTION app_notify_directory_changed();
CREATE TRIGGER memberships_directory_changed
  AFTER INSERT OR UPDATE OR DELETE ON memberships
  FOR EACH ROW EXECUTE FUNCTION app_notify_directory_changed();
CREATE TRIGGER memberships_directory_truncated
  AFTER TRUNCATE ON memberships
  FOR EACH STATEMENT EXECUTE FUNCTION app_notify_directory_changed();

-- +goose Down
DROP TRIGGER memberships_directory_truncated ON memberships;
DROP TRIGGER memberships_directory_changed ON memberships;
DROP TRIGGER organizations_directory_truncated ON organizations;
DROP TRIGGER organizations_directory_changed ON organizations;
DROP TRIGGER users_directory_truncated ON users;
DROP TRIGGER users_directory_updated ON users;
DROP TRIGGER users_directory_changed ON users;

CREATE TRIGGER users_directory_changed
  AFTER INSERT OR DELETE OR TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION app_notify_directory_changed();
CREATE TRIGGER users_directory_updated
  AFTER UPDATE OF id, email, first_name, last_name, image_url, clerk_updated_at, deleted_at ON users
  FOR EACH STATEMENT EXECUTE FUNCTION app_notify_directory_changed();
CREATE TRIGGER organizations_directory_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON organizations
  FOR EACH STATEMENT EXECUTE FUNCTION app_notify_directory_changed();
CREATE TRIGGER memberships_directory_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON memberships
  FOR EACH STATEMENT EXECUTE FUNCTION app_notify_directory_changed();
