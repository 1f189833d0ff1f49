-- 0003: complaints, their lifecycle, idempotent intake.

-- Stage lengths that belong to the parties (PRODUCT.md, "Lifecycle").
ALTER TABLE platforms ADD COLUMN fulfilment_days integer NOT NULL DEFAULT 3 CHECK (fulfilment_days BETWEEN 1 AND 60);
ALTER TABLE mediation_bodies ADD COLUMN triage_days integer NOT NULL DEFAULT 3 CHECK (triage_days BETWEEN 1 AND 60);
ALTER TABLE mediation_bodies ADD COLUMN mediation_days integer NOT NULL DEFAULT 15 CHECK (mediation_days BETWEEN 1 AND 120);

CREATE TABLE complaints (
    id uuid PRIMARY KEY,
    consumer_id uuid NOT NULL REFERENCES accounts (id),
    -- The consumer's display name at filing: what the platform and merchant see of them.
    consumer_name text NOT NULL,
    platform_id uuid NOT NULL REFERENCES platforms (id),
    merchant_id uuid REFERENCES merchants (id),
    category text NOT NULL CHECK (category IN ('non_delivery', 'not_as_described', 'service_breach', 'other')),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description text NOT NULL CHECK (length(description) BETWEEN 1 AND 10000),
    -- Order facts. Money in minor units (fen).
    order_no text NOT NULL CHECK (length(order_no) BETWEEN 1 AND 100),
    product_name text NOT NULL CHECK (length(product_name) BETWEEN 1 AND 200),
    amount_paid bigint NOT NULL CHECK (amount_paid >= 0),
    currency text NOT NULL DEFAULT 'CNY' CHECK (currency ~ '^[A-Z]{3}$'),
    ordered_at timestamptz,
    payment_channel text,
    payment_ref text,
    -- [{kind, amount, text}]; refund_claimed is the sum of the refund demands, kept for statistics.
    demands jsonb NOT NULL,
    refund_claimed bigint NOT NULL DEFAULT 0,
    ultimatum_days integer CHECK (ultimatum_days BETWEEN 1 AND 60),
    ultimatum_at timestamptz,

    state text NOT NULL CHECK (state IN ('awaiting_merchant', 'awaiting_platform', 'proposal_made', 'escalated',
        'in_mediation', 'resolution_agreed', 'closed_resolved', 'mediation_failed', 'referred', 'withdrawn')),
    version integer NOT NULL DEFAULT 1,
    submitted_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    -- The current stage: when it began, when its deadline falls, whether it was missed.
    stage_started_at timestamptz NOT NULL,
    deadline_at timestamptz,
    overdue boolean NOT NULL DEFAULT false,
    overdue_party text CHECK (overdue_party IN ('merchant', 'platform', 'mediation_body', 'consumer')),
    merchant_missed_deadline boolean NOT NULL DEFAULT false,
    platform_missed_deadline boolean NOT NULL DEFAULT false,
    -- The first response (a proposal or a reasoned rejection), kept for ever.
    first_response_at timestamptz,
    first_response_by text CHECK (first_response_by IN ('merchant', 'platform')),
    first_response_deadline_at timestamptz,
    first_response_on_time boolean,
    -- The answer on the table in proposal_made.
    answered_by text CHECK (answered_by IN ('merchant', 'platform')),
    answer jsonb,
    answer_rejected boolean NOT NULL DEFAULT false,
    -- Mediation.
    mediation_body_id uuid REFERENCES mediation_bodies (id),
    escalated_at timestamptz,
    triaged boolean NOT NULL DEFAULT false,
    mediator_id uuid REFERENCES accounts (id),
    mediated boolean NOT NULL DEFAULT false,
    settlement jsonb,
    consumer_accepted_settlement boolean NOT NULL DEFAULT false,
    platform_accepted_settlement boolean NOT NULL DEFAULT false,
    -- The outcome.
    agreed_outcome jsonb,
    agreed_refund bigint,
    resolved_at timestamptz,
    referral_channel text CHECK (referral_channel IN ('12315', 'court', 'police')),
    referral_reference text,
    rating integer CHECK (rating BETWEEN 1 AND 5),
    rating_comment text,
    closed_at timestamptz
);
CREATE INDEX complaints_by_consumer ON complaints (consumer_id, submitted_at, id);
CREATE INDEX complaints_by_platform ON complaints (platform_id, submitted_at, id);
CREATE INDEX complaints_by_merchant ON complaints (merchant_id, submitted_at, id) WHERE merchant_id IS NOT NULL;
CREATE INDEX complaints_by_body ON complaints (mediation_body_id, state, deadline_at) WHERE mediation_body_id IS NOT NULL;
-- The deadline job's work list: open cases whose deadline may have passed.
CREATE INDEX complaints_deadlines ON complaints (deadline_at) WHERE deadline_at IS NOT NULL AND NOT overdue;
CREATE INDEX complaints_ultimatums ON complaints (ultimatum_at) WHERE ultimatum_at IS NOT NULL AND state IN ('awaiting_platform', 'proposal_made');

-- The changes of state the lifecycle table (RedressCore's Lifecycle.rules) allows; a test holds the
-- two together. Whatever the application does, the database stores no other change.
CREATE TABLE complaint_state_changes (
    from_state text NOT NULL,
    to_state text NOT NULL,
    PRIMARY KEY (from_state, to_state)
);
INSERT INTO complaint_state_changes (from_state, to_state) VALUES
    ('awaiting_merchant', 'awaiting_platform'),
    ('awaiting_merchant', 'proposal_made'),
    ('awaiting_merchant', 'withdrawn'),
    ('awaiting_platform', 'escalated'),
    ('awaiting_platform', 'proposal_made'),
    ('awaiting_platform', 'withdrawn'),
    ('escalated', 'in_mediation'),
    ('escalated', 'mediation_failed'),
    ('escalated', 'withdrawn'),
    ('in_mediation', 'mediation_failed'),
    ('in_mediation', 'resolution_agreed'),
    ('in_mediation', 'withdrawn'),
    ('mediation_failed', 'referred'),
    ('mediation_failed', 'withdrawn'),
    ('proposal_made', 'awaiting_platform'),
    ('proposal_made', 'escalated'),
    ('proposal_made', 'resolution_agreed'),
    ('proposal_made', 'withdrawn'),
    ('resolution_agreed', 'closed_resolved'),
    ('resolution_agreed', 'escalated'),
    ('resolution_agreed', 'in_mediation'),
    ('resolution_agreed', 'withdrawn');

CREATE FUNCTION complaints_check_state_change() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, public
AS $$
BEGIN
    IF NEW.state IS DISTINCT FROM OLD.state AND NOT EXISTS (
        SELECT 1 FROM complaint_state_changes WHERE from_state = OLD.state AND to_state = NEW.state
    ) THEN
        RAISE EXCEPTION 'illegal change of state % -> %', OLD.state, NEW.state USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.version <> OLD.version + 1 THEN
        RAISE EXCEPTION 'every change of a complaint increments its version' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER complaints_state_change BEFORE UPDATE ON complaints
    FOR EACH ROW EXECUTE FUNCTION complaints_check_state_change();
CREATE FUNCTION complaints_check_initial_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state NOT IN ('awaiting_merchant', 'awaiting_platform') OR NEW.version <> 1 THEN
        RAISE EXCEPTION 'a complaint starts awaiting the merchant or the platform, at version 1' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER complaints_initial_state BEFORE INSERT ON complaints
    FOR EACH ROW EXECUTE FUNCTION complaints_check_initial_state();

-- Idempotent intake: the first answer to a key, per account, is kept and replayed.
CREATE TABLE idempotency_keys (
    account_id uuid NOT NULL REFERENCES accounts (id),
    key text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_sha256 text NOT NULL,
    response_status integer,
    response_body text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, key)
);

ALTER TABLE complaints ENABLE ROW LEVEL SECURITY;
ALTER TABLE complaints FORCE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
ALTER TABLE complaint_state_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE complaint_state_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY lifecycle_read ON complaint_state_changes FOR SELECT USING (redress_actor_role() IS NOT NULL);

-- Who sees a complaint: the consumer who filed it, its platform's staff, its merchant's staff, the
-- body it was escalated to, auditors (metadata; the API shows them no contents) and the deadline job.
CREATE FUNCTION redress_may_see_complaint(consumer uuid, platform uuid, merchant uuid, body uuid) RETURNS boolean
    LANGUAGE sql STABLE
AS $$
    SELECT consumer = redress_actor_id()
        OR (redress_actor_role() IN ('platform_staff', 'platform_admin') AND platform = redress_actor_org())
        OR (redress_actor_role() = 'merchant_staff' AND merchant = redress_actor_org())
        OR (redress_actor_role() IN ('mediator', 'mediation_lead') AND body = redress_actor_org())
        OR redress_actor_role() IN ('auditor', 'system')
$$;
CREATE POLICY complaint_read ON complaints FOR SELECT
    USING (redress_may_see_complaint(consumer_id, platform_id, merchant_id, mediation_body_id));
CREATE POLICY complaint_file ON complaints FOR INSERT
    WITH CHECK (redress_actor_role() = 'consumer' AND consumer_id = redress_actor_id());
CREATE POLICY complaint_act ON complaints FOR UPDATE
    USING (redress_actor_role() <> 'auditor' AND redress_may_see_complaint(consumer_id, platform_id, merchant_id, mediation_body_id));

CREATE POLICY own_keys ON idempotency_keys FOR ALL
    USING (account_id = redress_actor_id()) WITH CHECK (account_id = redress_actor_id());

GRANT SELECT ON complaint_state_changes TO redress_app;
GRANT SELECT, INSERT ON complaints TO redress_app;
-- Every column but the parties, the facts and the statement: those are fixed at intake.
GRANT UPDATE (state, version, updated_at, stage_started_at, deadline_at, overdue, overdue_party,
              merchant_missed_deadline, platform_missed_deadline, first_response_at, first_response_by,
              first_response_deadline_at, first_response_on_time, answered_by, answer, answer_rejected,
              mediation_body_id, escalated_at, triaged, mediator_id, mediated, settlement,
              consumer_accepted_settlement, platform_accepted_settlement, agreed_outcome, agreed_refund,
              resolved_at, referral_channel, referral_reference, rating, rating_comment, closed_at, ultimatum_at)
    ON complaints TO redress_app;
GRANT SELECT, INSERT, UPDATE (response_status, response_body) ON idempotency_keys TO redress_app;
