-- +goose Up
-- The directory's notifications (00004, 00005) come only from rows that
-- change what an instance must stop answering at once, and only when a row
-- does change.
--
-- 1. Row-level triggers instead of statement-level ones: a statement-level
--    trigger fires for every INSERT … ON CONFLICT whatever it wrote, so a
--    duplicate webhook delivery, an older event losing to a newer one or an
--    upsert with nothing new made every instance drop its copy. Postgres
--    sends one notification per channel and payload per transaction,
--    however many rows fire it. TRUNCATE has no rows: it keeps a
--    statement-level trigger.
-- 2. A user's profile (email, names, image) no longer notifies: only a new,
--    deleted or removed user does. A transaction that notifies takes a lock
--    that every other notifying transaction waits for until it has
--    committed, so notifying for every user.updated webhook let one
--    webhook commit at a time. A profile is shown, never checked: the
--    instance that applies the change drops its copy at once, and the
--    others read a user's top bar again when it is older than
--    live.Directory's NavMaxAge (30 s).
DROP TRIGGER users_directory_changed ON users;
DROP TRIGGER users_directory_updated ON users;
DROP TRIGGER organizations_directory_changed ON organizations;
DROP TRIGGER memberships_directory_changed ON memberships;

CREATE TRIGGER users_directory_changed
  AFTER INSERT OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION app_notify_directory_changed();
CREATE TRIGGER users_directory_updated
  AFTER UPDATE OF id, deleted_at ON users
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
