-- +goose Up
-- A deleted task is kept, hidden, so Undo can bring it back exactly as it
-- was: the same id, place in the list (created_at), assignee and state.
-- Lists and counts read only the rows whose deleted_at is NULL; rows deleted
-- long ago are purged by later deletes (models.DeleteTask), which the
-- partial index serves. Row-level security is the table's, unchanged.
ALTER TABLE tasks ADD COLUMN deleted_at timestamptz;
CREATE INDEX tasks_org_deleted_idx ON tasks (organization_id, deleted_at) WHERE deleted_at IS NOT NULL;

-- +goose Down
DROP INDEX tasks_org_deleted_idx;
-- Without the column, deleted tasks would come back.
DELETE FROM tasks WHERE deleted_at IS NOT NULL;
ALTER TABLE tasks DROP COLUMN deleted_at;
