-- +goose Up
-- The tenant role: every tenant request runs `SET LOCAL ROLE <DB_TENANT_ROLE>`,
-- so row-level security applies even when DATABASE_URL is a superuser.
-- +goose StatementBegin
DO $$
DECLARE
  tenant_role text := coalesce(nullif(current_setting('app.tenant_role', true), ''), 'app_tenant');
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = tenant_role) THEN
    EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOBYPASSRLS', tenant_role);
  END IF;
  IF NOT EXISTS (
    SELECT 1 FROM pg_auth_members m
    JOIN pg_roles r ON r.oid = m.roleid AND r.rolname = tenant_role
    JOIN pg_roles u ON u.oid = m.member AND u.rolname = current_user
  ) AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT %I TO %I', tenant_role, current_user);
  END IF;
  EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', tenant_role);
  -- Tables created later by this user are usable by the tenant role; RLS
  -- policies, not grants, decide which rows it sees.
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', tenant_role);
END
$$;
-- +goose StatementEnd

-- Users, organizations and memberships mirror Clerk (keys are Clerk ids) and
-- are kept by the webhook handler. clerk_updated_at is the payload's
-- updated_at, used so that a stale event never overwrites newer data.
CREATE TABLE users (
    id               text PRIMARY KEY,
    email            text NOT NULL DEFAULT '',
    first_name       text NOT NULL DEFAULT '',
    last_name        text NOT NULL DEFAULT '',
    image_url        text NOT NULL DEFAULT '',
    clerk_updated_at timestamptz,
    deleted_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_email_idx ON users (lower(email)) WHERE deleted_at IS NULL;

CREATE TABLE organizations (
    id               text PRIMARY KEY,
    name             text NOT NULL DEFAULT '',
    slug             text,
    image_url        text NOT NULL DEFAULT '',
    clerk_updated_at timestamptz,
    deleted_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organizations_slug_key ON organizations (slug) WHERE deleted_at IS NULL;

CREATE TABLE memberships (
    id               text PRIMARY KEY,
    organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id          text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role             text NOT NULL,
    permissions      text[] NOT NULL DEFAULT '{}',
    clerk_updated_at timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, user_id)
);
CREATE INDEX memberships_user_id_idx ON memberships (user_id);

-- Svix message ids already applied: a redelivery is acknowledged and ignored.
CREATE TABLE webhook_events (
    svix_id     text PRIMARY KEY,
    type        text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- Sessions Clerk reported ended, removed or revoked: refused on every instance
-- even while their last token has not expired.
CREATE TABLE revoked_sessions (
    session_id text PRIMARY KEY,
    user_id    text NOT NULL DEFAULT '',
    status     text NOT NULL,
    revoked_at timestamptz NOT NULL DEFAULT now()
);

-- The tenant role reads the synced tables (names, members) but never writes them.
-- +goose StatementBegin
DO $$
DECLARE
  tenant_role text := coalesce(nullif(current_setting('app.tenant_role', true), ''), 'app_tenant');
BEGIN
  EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON users, organizations, memberships, webhook_events, revoked_sessions FROM %I', tenant_role);
  EXECUTE format('GRANT SELECT ON users, organizations, memberships, revoked_sessions TO %I', tenant_role);
  EXECUTE format('REVOKE SELECT ON webhook_events FROM %I', tenant_role);
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE revoked_sessions;
DROP TABLE webhook_events;
DROP TABLE memberships;
DROP TABLE organizations;
DROP TABLE users;
-- The role is shared by every database of the cluster, so it is left in place.
