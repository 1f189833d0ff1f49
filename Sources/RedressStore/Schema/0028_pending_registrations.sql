-- 0028: a registration waits until its address is verified: the link mailed to it creates the
-- account. Registration answers the same whether the address is new or taken, so it tells nobody
-- which addresses are registered; the owner of a taken one is told by mail instead. Only the system
-- reads these rows; they are deleted when used and a day after they expire.

CREATE TABLE pending_registrations (
    digest bytea PRIMARY KEY CHECK (length(digest) = 32),
    email text NOT NULL CHECK (email = lower(email)),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    phone text,
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX pending_registrations_by_email ON pending_registrations (email, created_at);
CREATE INDEX pending_registrations_expiry ON pending_registrations (expires_at);
ALTER TABLE pending_registrations ENABLE ROW LEVEL SECURITY;
ALTER TABLE pending_registrations FORCE ROW LEVEL SECURITY;
CREATE POLICY pending_registrations_system ON pending_registrations FOR ALL
    USING (redress_actor_role() = 'system') WITH CHECK (redress_actor_role() = 'system');
GRANT SELECT, INSERT, DELETE ON pending_registrations TO redress_app;
