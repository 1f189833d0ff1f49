-- 0027: a forgotten password is reset by a link mailed to the account's address: a single-use token,
-- stored as its SHA-256 digest, valid for 30 minutes. Only the system reads and spends tokens.

CREATE TABLE password_reset_tokens (
    digest bytea PRIMARY KEY CHECK (length(digest) = 32),
    account_id uuid NOT NULL REFERENCES accounts (id),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX password_reset_tokens_by_account ON password_reset_tokens (account_id, created_at);
ALTER TABLE password_reset_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE password_reset_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY password_reset_system ON password_reset_tokens FOR ALL
    USING (redress_actor_role() = 'system') WITH CHECK (redress_actor_role() = 'system');
GRANT SELECT, INSERT, UPDATE, DELETE ON password_reset_tokens TO redress_app;
