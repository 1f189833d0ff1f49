-- 0019: accounts an organisation can run. Staff accounts can be disabled, re-enabled, moved to
-- another role of the same organisation and have their password reset by whoever may create them;
-- everyone can see and end their own sessions and change their own password.

ALTER TABLE accounts
    ADD COLUMN disabled_at timestamptz,
    -- A session is valid only while its epoch is its account's: disabling, a role change and a forced
    -- reset increment it, so that every session of the account ends in the same statement (a counter,
    -- not a time: replicas' clocks may differ, and a frozen demo clock would end new sessions too).
    ADD COLUMN session_epoch integer NOT NULL DEFAULT 0,
    -- Set by a forced reset: the next sign-in must choose a new password.
    ADD COLUMN must_change_password boolean NOT NULL DEFAULT false,
    ADD COLUMN password_changed_at timestamptz;

-- What the person sees of each session (and only he: sessions are his alone to read). The id names
-- a session in the API; the token's digest never leaves the database.
ALTER TABLE sessions
    ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid(),
    ADD COLUMN last_used_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN client_description text CHECK (length(client_description) <= 200),
    ADD COLUMN client_address text CHECK (length(client_address) <= 64),
    ADD COLUMN epoch integer NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX sessions_by_id ON sessions (id);
CREATE INDEX sessions_by_account_created ON sessions (account_id, created_at, id);

-- Whether the caller may manage (create, disable, re-role, reset) a staff account of this role in
-- this organisation: the same rule as creating one (account_insert in 0001).
CREATE FUNCTION redress_may_manage(target_role text, target_org uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT target_role <> 'consumer' AND (
        redress_actor_role() IN ('admin', 'cli')
        OR (redress_actor_role() = 'platform_admin' AND (
            (target_role IN ('platform_staff', 'platform_admin') AND target_org = redress_actor_org())
            OR (target_role = 'merchant_staff'
                AND target_org IN (SELECT m.id FROM merchants m WHERE m.platform_id = redress_actor_org()))))
        OR (redress_actor_role() = 'mediation_lead' AND target_role = 'mediator' AND target_org = redress_actor_org()))
$$;

-- A manager changes another account, before and after within what he may grant; anyone changes his
-- own row, but only its password columns (the trigger below).
CREATE POLICY account_manage ON accounts FOR UPDATE
    USING (id IS DISTINCT FROM redress_actor_id() AND redress_may_manage(role, organization_id))
    WITH CHECK (id IS DISTINCT FROM redress_actor_id() AND redress_may_manage(role, organization_id));
CREATE POLICY account_self ON accounts FOR UPDATE USING (id = redress_actor_id()) WITH CHECK (id = redress_actor_id());

CREATE FUNCTION accounts_guard_self() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.id = redress_actor_id()
       AND (NEW.role, NEW.disabled_at, NEW.session_epoch) IS DISTINCT FROM (OLD.role, OLD.disabled_at, OLD.session_epoch)
    THEN
        RAISE EXCEPTION 'an account cannot change its own role or status' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER accounts_guard_self BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION accounts_guard_self();

-- The token check notes when a session was last used (at most once a minute).
CREATE POLICY session_touch ON sessions FOR UPDATE USING (token_digest = redress_auth_session());

GRANT UPDATE (role, disabled_at, session_epoch, must_change_password, password_hash, password_changed_at) ON accounts TO redress_app;
GRANT UPDATE (last_used_at) ON sessions TO redress_app;

-- Sessions a replica has cached are dropped when their account changes: NOTIFY redress_sessions,
-- payload the account id, sent by the service in the changing transaction (delivered on commit).
