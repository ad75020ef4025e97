-- +goose Up
-- Ids of memberships deleted in Clerk. Svix does not deliver in order: a
-- membership.created retried after its membership.deleted must not restore
-- access, and Clerk never reuses a membership id, so the id is remembered.
CREATE TABLE deleted_memberships (
    id              text PRIMARY KEY,
    organization_id text NOT NULL DEFAULT '',
    user_id         text NOT NULL DEFAULT '',
    deleted_at      timestamptz NOT NULL DEFAULT now()
);

-- Webhook state only: the tenant role has no business here (00001 grants it
-- every new table by default).
-- +goose StatementBegin
DO $$
DECLARE
  tenant_role text := coalesce(nullif(current_setting('app.tenant_role', true), ''), 'app_tenant');
BEGIN
  EXECUTE format('REVOKE ALL ON deleted_memberships FROM %I', tenant_role);
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE deleted_memberships;
