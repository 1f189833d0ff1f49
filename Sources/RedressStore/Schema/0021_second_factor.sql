-- 0021: two-factor sign-in (TOTP, RFC 6238). The secret is sealed by the service with a key kept
-- outside the database (Keyring): a dump holds only ciphertext. Recovery codes are kept as SHA-256
-- digests keyed with the key file and the account (a dump alone cannot test guesses).

ALTER TABLE accounts
    ADD COLUMN totp_secret text CHECK (length(totp_secret) <= 200),
    -- NULL while an enrolment waits for its first code.
    ADD COLUMN totp_confirmed_at timestamptz,
    -- The last time step whose code was accepted: a code works once, and no earlier one after it.
    ADD COLUMN totp_last_step bigint NOT NULL DEFAULT 0,
    -- Wrong authenticator codes since the last right one: at the limit only a recovery code opens
    -- (so that guessing 6 digits under the sign-in throttle cannot go on for weeks).
    ADD COLUMN totp_failures integer NOT NULL DEFAULT 0 CHECK (totp_failures >= 0);

-- Whether the session was opened with the second factor (or enrolled it): a privileged account's
-- session without it may only enrol.
ALTER TABLE sessions ADD COLUMN second_factor boolean NOT NULL DEFAULT false;

CREATE TABLE recovery_codes (
    account_id uuid NOT NULL REFERENCES accounts (id),
    code_digest bytea NOT NULL CHECK (length(code_digest) = 32),
    created_at timestamptz NOT NULL,
    used_at timestamptz,
    PRIMARY KEY (account_id, code_digest)
);
ALTER TABLE recovery_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE recovery_codes FORCE ROW LEVEL SECURITY;
-- Only the account itself: while signing in (the login identity names it) or signed in.
CREATE POLICY own_codes ON recovery_codes FOR ALL
    USING (account_id = redress_actor_id()) WITH CHECK (account_id = redress_actor_id());
-- A manager's forced reset starts the second factor over (a DELETE must also see the rows it removes).
CREATE POLICY managed_codes_read ON recovery_codes FOR SELECT
    USING (EXISTS (SELECT 1 FROM accounts a WHERE a.id = recovery_codes.account_id AND redress_may_manage(a.role, a.organization_id)));
CREATE POLICY managed_codes ON recovery_codes FOR DELETE
    USING (EXISTS (SELECT 1 FROM accounts a WHERE a.id = recovery_codes.account_id AND redress_may_manage(a.role, a.organization_id)));

GRANT SELECT, INSERT, UPDATE (used_at), DELETE ON recovery_codes TO redress_app;
GRANT UPDATE (totp_secret, totp_confirmed_at, totp_last_step, totp_failures) ON accounts TO redress_app;
GRANT UPDATE (second_factor) ON sessions TO redress_app;
