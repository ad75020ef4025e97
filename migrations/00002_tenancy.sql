-- +goose Up
-- Tenant-owned tables: organization_id leads every key, index and foreign key
-- between tenant tables, so the schema can be distributed by tenant.
CREATE TABLE projects (
    organization_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    created_by      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id)
);
CREATE INDEX projects_org_created_idx ON projects (organization_id, created_at DESC, id DESC);
CREATE INDEX projects_org_name_idx ON projects (organization_id, lower(name));

CREATE TABLE tasks (
    organization_id text NOT NULL,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    project_id      uuid NOT NULL,
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    done            boolean NOT NULL DEFAULT false,
    assignee_id     text REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, project_id) REFERENCES projects (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX tasks_org_project_idx ON tasks (organization_id, project_id, created_at DESC, id DESC);
CREATE INDEX tasks_org_assignee_idx ON tasks (organization_id, assignee_id) WHERE assignee_id IS NOT NULL;

CREATE TABLE audit_events (
    organization_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    actor_user_id   text NOT NULL DEFAULT '',
    action          text NOT NULL,
    target_type     text NOT NULL DEFAULT '',
    target_id       text NOT NULL DEFAULT '',
    summary         text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id)
);
CREATE INDEX audit_events_org_created_idx ON audit_events (organization_id, created_at DESC, id DESC);

-- Row-level security, the third wall: a transaction sees only the rows of the
-- organization in app.current_org_id, and none when it is unset. FORCE makes
-- it apply to the tables' owner too; superusers bypass RLS, which is why
-- every tenant transaction first switches to the tenant role.
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE projects FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON projects
    USING (organization_id = current_setting('app.current_org_id', true))
    WITH CHECK (organization_id = current_setting('app.current_org_id', true));

ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE tasks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tasks
    USING (organization_id = current_setting('app.current_org_id', true))
    WITH CHECK (organization_id = current_setting('app.current_org_id', true));

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_events
    USING (organization_id = current_setting('app.current_org_id', true))
    WITH CHECK (organization_id = current_setting('app.current_org_id', true));

-- 00001's default privileges already cover these tables; granted explicitly
-- so the tenant role works even when the migrating user changed. The audit
-- log is append-only for tenants.
-- +goose StatementBegin
DO $$
DECLARE
  tenant_role text := coalesce(nullif(current_setting('app.tenant_role', true), ''), 'app_tenant');
BEGIN
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON projects, tasks TO %I', tenant_role);
  EXECUTE format('GRANT SELECT, INSERT ON audit_events TO %I', tenant_role);
  EXECUTE format('REVOKE UPDATE, DELETE ON audit_events FROM %I', tenant_role);
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_events;
DROP TABLE tasks;
DROP TABLE projects;
