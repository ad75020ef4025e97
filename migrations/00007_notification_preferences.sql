-- +goose Up
-- The example notifications service's table (examples/notifications), in the
-- shared database beside the synced users and memberships it reads: how a
-- member of an organization wants to be notified there. A member without a
-- row has the defaults. Tenant-owned like projects: organization_id leads the
-- key, and row-level security confines every tenant transaction to its
-- organization.
CREATE TABLE notification_preferences (
    organization_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email_digest    text NOT NULL DEFAULT 'weekly' CHECK (email_digest IN ('daily', 'weekly', 'never')),
    mentions        boolean NOT NULL DEFAULT true,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, user_id)
);

ALTER TABLE notification_preferences ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification_preferences FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON notification_preferences
    USING (organization_id = current_setting('app.current_org_id', true))
    WITH CHECK (organization_id = current_setting('app.current_org_id', true));

-- +goose StatementBegin
DO $$
DECLARE
  tenant_role text := coalesce(nullif(current_setting('app.tenant_role', true), ''), 'app_tenant');
BEGIN
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON notification_preferences TO %I', tenant_role);
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE notification_preferences;
