-- +goose Up
-- Organization domains mirror Clerk's (keys are Clerk ids), kept by the
-- organizationDomain.* webhooks like the other synced tables: last writer
-- wins by clerk_updated_at, and a deleted domain keeps its row as a
-- tombstone (deleted_at), so a late created or updated event cannot bring it
-- back. No foreign key to organizations: Svix does not deliver in order, and
-- a domain may arrive before its organization (reads join live
-- organizations). The app reads them to suggest organizations to users whose
-- email is at a verified domain in automatic_suggestion mode: Clerk keeps its
-- own suggestions in the Frontend API only.
CREATE TABLE organization_domains (
    id               text PRIMARY KEY,
    organization_id  text NOT NULL DEFAULT '',
    name             text NOT NULL DEFAULT '',
    enrollment_mode  text NOT NULL DEFAULT 'manual_invitation',
    verified         boolean NOT NULL DEFAULT false,
    clerk_updated_at timestamptz,
    deleted_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organization_domains_suggest_idx ON organization_domains (name)
    WHERE deleted_at IS NULL AND verified AND enrollment_mode = 'automatic_suggestion';

-- A user's request to join an organization that a domain suggested to them:
-- app-local (Clerk's own membership requests live in its Frontend API), and
-- tenant-owned by the organization asked, whose admins decide. Accepting
-- creates the membership in Clerk; Clerk stays the source of memberships.
CREATE TABLE membership_requests (
    organization_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id         text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    decided_at      timestamptz,
    decided_by      text,
    PRIMARY KEY (organization_id, id),
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
-- One pending request per user and organization: a second click is the same request.
CREATE UNIQUE INDEX membership_requests_pending_key ON membership_requests (organization_id, user_id)
    WHERE status = 'pending';

ALTER TABLE membership_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE membership_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON membership_requests
    USING (organization_id = current_setting('app.current_org_id', true))
    WITH CHECK (organization_id = current_setting('app.current_org_id', true));

-- The tenant role reads the synced domains, never writes them; requests are
-- decided, never deleted (the record of who asked and who answered).
-- +goose StatementBegin
DO $$
DECLARE
  tenant_role text := coalesce(nullif(current_setting('app.tenant_role', true), ''), 'app_tenant');
BEGIN
  EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON organization_domains FROM %I', tenant_role);
  EXECUTE format('GRANT SELECT ON organization_domains TO %I', tenant_role);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE ON membership_requests TO %I', tenant_role);
  EXECUTE format('REVOKE DELETE ON membership_requests FROM %I', tenant_role);
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE membership_requests;
DROP TABLE organization_domains;
