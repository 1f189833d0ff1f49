-- 0001: organisations, accounts, sessions, login throttling, the audit chain, row-level security.
--
-- The request role (which the service logs in as) is a member of the group role redress_app and
-- gets every privilege through it. The caller's identity is set per transaction by the service with
-- set_config(name, value, true); the policies below read it. With no identity set, every policy is
-- false: the request role sees no rows and gets no error.

-- Roles belong to the whole server: another database on it may have created this one, or be
-- creating it right now.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'redress_app') THEN
        CREATE ROLE redress_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

-- The identity of the current transaction. An ended transaction leaves '' behind, hence nullif.
CREATE FUNCTION redress_actor_id() RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('redress.account_id', true), '')::uuid $$;
CREATE FUNCTION redress_actor_role() RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('redress.role', true), '') $$;
CREATE FUNCTION redress_actor_org() RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('redress.organization_id', true), '')::uuid $$;
-- Set only while logging in: the one account whose password is being checked.
CREATE FUNCTION redress_auth_email() RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('redress.auth_email', true), '') $$;
-- Set only while authenticating a bearer token: the SHA-256 of the presented token.
CREATE FUNCTION redress_auth_session() RETURNS bytea LANGUAGE sql STABLE
    AS $$ SELECT decode(nullif(current_setting('redress.session_digest', true), ''), 'hex') $$;

-- Organisations ---------------------------------------------------------------------------------

CREATE TABLE organizations (
    id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('platform', 'merchant', 'mediation_body')),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- A merchant's platform; NULL for platforms and mediation bodies.
    platform_id uuid REFERENCES organizations (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'merchant') = (platform_id IS NOT NULL))
);
CREATE UNIQUE INDEX organizations_unique_name ON organizations (kind, lower(name)) WHERE kind <> 'merchant';
CREATE UNIQUE INDEX merchants_unique_name ON organizations (platform_id, lower(name)) WHERE kind = 'merchant';
CREATE INDEX organizations_list ON organizations (kind, created_at, id);
CREATE INDEX organizations_merchants ON organizations (platform_id, created_at, id) WHERE kind = 'merchant';

CREATE TABLE mediation_bodies (
    id uuid PRIMARY KEY REFERENCES organizations (id),
    kind text NOT NULL CHECK (kind IN ('consumer_association', 'industry_association')),
    region text NOT NULL CHECK (length(region) BETWEEN 1 AND 200)
);

CREATE TABLE platforms (
    id uuid PRIMARY KEY REFERENCES organizations (id),
    company_name text NOT NULL CHECK (length(company_name) BETWEEN 1 AND 200),
    credit_code text NOT NULL UNIQUE CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
    registered_address text NOT NULL CHECK (length(registered_address) BETWEEN 1 AND 500),
    website text,
    response_days integer NOT NULL DEFAULT 7 CHECK (response_days BETWEEN 1 AND 60),
    merchant_first boolean NOT NULL DEFAULT false,
    merchant_response_days integer NOT NULL DEFAULT 3 CHECK (merchant_response_days BETWEEN 1 AND 60),
    default_mediation_body_id uuid REFERENCES mediation_bodies (id)
);

CREATE TABLE merchants (
    id uuid PRIMARY KEY REFERENCES organizations (id),
    platform_id uuid NOT NULL REFERENCES platforms (id),
    shop_url text
);

-- Accounts and sessions ---------------------------------------------------------------------------

CREATE TABLE accounts (
    id uuid PRIMARY KEY,
    email text NOT NULL UNIQUE CHECK (email = lower(email)),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    phone text,
    password_hash text NOT NULL,
    role text NOT NULL CHECK (role IN ('consumer', 'merchant_staff', 'platform_staff', 'platform_admin',
                                       'mediator', 'mediation_lead', 'auditor', 'admin')),
    organization_id uuid REFERENCES organizations (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((role IN ('consumer', 'auditor', 'admin')) = (organization_id IS NULL))
);
CREATE INDEX accounts_by_organization ON accounts (organization_id, created_at, id);
CREATE INDEX accounts_list ON accounts (created_at, id);

CREATE TABLE sessions (
    token_digest bytea PRIMARY KEY CHECK (length(token_digest) = 32),
    account_id uuid NOT NULL REFERENCES accounts (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX sessions_by_account ON sessions (account_id);

-- Failed logins, per account (a keyed digest of the e-mail) and per client address. They live in
-- the database so that the limit holds across service replicas.
CREATE TABLE login_failures (
    subject text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_by_subject ON login_failures (subject, failed_at);

-- The audit trail -----------------------------------------------------------------------------------

-- One row per event. `content` is the canonical JSON of the event as the service wrote it; `hash` is
-- SHA-256 over "chain_id \n seq \n hex(prev_hash) \n content", so a verifier needs only the stored
-- text. The columns beside it repeat parts of the content for queries.
CREATE TABLE audit_events (
    chain_id text NOT NULL,
    seq bigint NOT NULL,
    occurred_at timestamptz NOT NULL,
    action text NOT NULL,
    entity_type text NOT NULL,
    entity_id uuid NOT NULL,
    actor_account_id uuid,
    actor_role text NOT NULL,
    actor_organization_id uuid,
    content text NOT NULL,
    prev_hash bytea NOT NULL,
    hash bytea NOT NULL,
    PRIMARY KEY (chain_id, seq)
);
CREATE INDEX audit_events_by_entity ON audit_events (entity_id);

-- The last link of each chain. Only the chaining trigger (running as the owner) touches it.
CREATE TABLE audit_chain_heads (
    chain_id text PRIMARY KEY,
    seq bigint NOT NULL,
    hash bytea NOT NULL
);

-- Assigns the sequence number and the hashes. Locking the head row serialises appends per chain,
-- so concurrent writers to one chain cannot fork it.
CREATE FUNCTION audit_events_link() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    head_seq bigint;
    head_hash bytea;
BEGIN
    INSERT INTO audit_chain_heads (chain_id, seq, hash)
        VALUES (NEW.chain_id, 0, decode(repeat('00', 32), 'hex'))
        ON CONFLICT (chain_id) DO NOTHING;
    SELECT seq, hash INTO head_seq, head_hash FROM audit_chain_heads WHERE chain_id = NEW.chain_id FOR UPDATE;
    NEW.seq := head_seq + 1;
    NEW.prev_hash := head_hash;
    NEW.hash := sha256(convert_to(
        NEW.chain_id || E'\n' || NEW.seq::text || E'\n' || encode(head_hash, 'hex') || E'\n' || NEW.content, 'UTF8'));
    UPDATE audit_chain_heads SET seq = NEW.seq, hash = NEW.hash WHERE chain_id = NEW.chain_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_events_link BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_link();

CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_chain_heads_no_truncate BEFORE TRUNCATE ON audit_chain_heads
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();

-- Row-level security ---------------------------------------------------------------------------------

ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
ALTER TABLE mediation_bodies ENABLE ROW LEVEL SECURITY;
ALTER TABLE mediation_bodies FORCE ROW LEVEL SECURITY;
ALTER TABLE platforms ENABLE ROW LEVEL SECURITY;
ALTER TABLE platforms FORCE ROW LEVEL SECURITY;
ALTER TABLE merchants ENABLE ROW LEVEL SECURITY;
ALTER TABLE merchants FORCE ROW LEVEL SECURITY;
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE accounts FORCE ROW LEVEL SECURITY;
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
ALTER TABLE login_failures ENABLE ROW LEVEL SECURITY;
ALTER TABLE login_failures FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;

-- The directory of organisations is public (consumers need it to complain), but only to a caller
-- the service has identified, anonymous included.
CREATE POLICY directory_read ON organizations FOR SELECT USING (redress_actor_role() IS NOT NULL);
CREATE POLICY directory_read ON mediation_bodies FOR SELECT USING (redress_actor_role() IS NOT NULL);
CREATE POLICY directory_read ON platforms FOR SELECT USING (redress_actor_role() IS NOT NULL);
CREATE POLICY directory_read ON merchants FOR SELECT USING (redress_actor_role() IS NOT NULL);

CREATE POLICY admin_insert ON organizations FOR INSERT WITH CHECK (
    redress_actor_role() IN ('admin', 'cli')
    OR (redress_actor_role() = 'platform_admin' AND kind = 'merchant' AND platform_id = redress_actor_org()));
CREATE POLICY admin_insert ON mediation_bodies FOR INSERT WITH CHECK (redress_actor_role() IN ('admin', 'cli'));
CREATE POLICY admin_insert ON platforms FOR INSERT WITH CHECK (redress_actor_role() IN ('admin', 'cli'));
CREATE POLICY admin_insert ON merchants FOR INSERT WITH CHECK (
    redress_actor_role() IN ('admin', 'cli')
    OR (redress_actor_role() = 'platform_admin' AND platform_id = redress_actor_org()));
CREATE POLICY policy_update ON platforms FOR UPDATE USING (
    redress_actor_role() = 'admin' OR (redress_actor_role() = 'platform_admin' AND id = redress_actor_org()));

-- An account is visible to itself, to whoever manages it, and (one row at a time) to the login and
-- token checks that name it.
CREATE POLICY account_read ON accounts FOR SELECT USING (
    id = redress_actor_id()
    OR email = redress_auth_email()
    OR id = (SELECT s.account_id FROM sessions s WHERE s.token_digest = redress_auth_session())
    OR redress_actor_role() IN ('admin', 'cli')
    OR (redress_actor_role() = 'platform_admin' AND (
        organization_id = redress_actor_org()
        OR organization_id IN (SELECT m.id FROM merchants m WHERE m.platform_id = redress_actor_org())))
    OR (redress_actor_role() = 'mediation_lead' AND organization_id = redress_actor_org()));
CREATE POLICY account_insert ON accounts FOR INSERT WITH CHECK (
    (role = 'consumer' AND redress_actor_role() IS NOT NULL)
    OR (role <> 'consumer' AND redress_actor_role() IN ('admin', 'cli'))
    OR (redress_actor_role() = 'platform_admin' AND (
        (role IN ('platform_staff', 'platform_admin') AND organization_id = redress_actor_org())
        OR (role = 'merchant_staff'
            AND organization_id IN (SELECT m.id FROM merchants m WHERE m.platform_id = redress_actor_org()))))
    OR (redress_actor_role() = 'mediation_lead' AND role = 'mediator' AND organization_id = redress_actor_org()));

CREATE POLICY session_read ON sessions FOR SELECT USING (
    token_digest = redress_auth_session() OR account_id = redress_actor_id());
CREATE POLICY session_insert ON sessions FOR INSERT WITH CHECK (account_id = redress_actor_id());
CREATE POLICY session_revoke ON sessions FOR UPDATE USING (account_id = redress_actor_id());

CREATE POLICY throttle ON login_failures FOR ALL
    USING (redress_actor_role() IS NOT NULL) WITH CHECK (redress_actor_role() IS NOT NULL);

CREATE POLICY audit_read ON audit_events FOR SELECT USING (
    redress_actor_role() = 'auditor'
    OR (redress_actor_role() = 'admin' AND chain_id = 'administration')
    OR chain_id = 'account:' || redress_actor_id()::text);
CREATE POLICY audit_append ON audit_events FOR INSERT WITH CHECK (
    redress_actor_role() IS NOT NULL
    AND actor_role = redress_actor_role()
    AND actor_account_id IS NOT DISTINCT FROM redress_actor_id());

-- Grants: exactly what the service needs, nothing it could use to undo the rules above ---------------

GRANT USAGE ON SCHEMA public TO redress_app;
GRANT SELECT, INSERT ON organizations, mediation_bodies, platforms, merchants TO redress_app;
GRANT UPDATE (website, response_days, merchant_first, merchant_response_days, default_mediation_body_id)
    ON platforms TO redress_app;
GRANT SELECT, INSERT ON accounts TO redress_app;
GRANT SELECT, INSERT, UPDATE (revoked_at) ON sessions TO redress_app;
GRANT SELECT, INSERT, DELETE ON login_failures TO redress_app;
GRANT SELECT, INSERT ON audit_events TO redress_app;
