-- 0039: a merchant's record across platforms. A merchant may carry its registered unified social
-- credit code (as platforms do); merchants of different platforms with one code are one company, and a
-- fraudulent seller that moves from platform to platform keeps its record. The record is a monthly
-- rollup per merchant, kept by a trigger in the same transaction as every change (like the platform
-- statistics): complaints (those found invalid apart), open and unresolved cases, cases whose deadline
-- was missed, refunds, and referrals to the police.
ALTER TABLE merchants ADD COLUMN credit_code text CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$');
CREATE INDEX merchants_by_credit_code ON merchants (credit_code) WHERE credit_code IS NOT NULL;
GRANT UPDATE (credit_code) ON merchants TO redress_app;
-- The operator's administrator records the codes, checked against the business register as platforms'
-- are: a platform that could name any code would join its merchant to any company's record.
CREATE POLICY merchant_code ON merchants FOR UPDATE USING (redress_actor_role() = 'admin');
CREATE FUNCTION merchants_guard_code() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
AS $$
BEGIN
    IF NEW.credit_code IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.credit_code IS DISTINCT FROM OLD.credit_code)
       AND redress_actor_role() IS DISTINCT FROM 'admin' THEN
        RAISE EXCEPTION 'a merchant''s credit code is recorded by the operator' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER merchants_code BEFORE INSERT OR UPDATE ON merchants FOR EACH ROW EXECUTE FUNCTION merchants_guard_code();

CREATE TABLE merchant_monthly_record (
    merchant_id uuid NOT NULL REFERENCES merchants (id),
    platform_id uuid NOT NULL REFERENCES platforms (id),
    month date NOT NULL,
    complaints bigint NOT NULL DEFAULT 0,
    invalid bigint NOT NULL DEFAULT 0,
    open bigint NOT NULL DEFAULT 0,
    unresolved bigint NOT NULL DEFAULT 0,
    missed_deadline bigint NOT NULL DEFAULT 0,
    amount_refunded bigint NOT NULL DEFAULT 0,
    police_referrals bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, month)
);

-- What one complaint adds to its merchant's month (the order of the columns above).
CREATE FUNCTION redress_merchant_contribution(c complaints) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, public
AS $$
    -- A complaint the mediation body found invalid (anyone can file one) counts there only.
    SELECT ARRAY[
        v,
        1 - v,
        v * (c.state NOT IN ('closed_resolved', 'closed', 'withdrawn', 'invalid', 'referred'))::int,
        v * (c.state IN ('mediation_failed', 'referred') OR (c.state = 'closed' AND c.outcome = 'unresolved'))::int,
        v * (c.merchant_missed_deadline OR c.platform_missed_deadline OR c.overdue)::int,
        v * CASE WHEN c.state = 'closed_resolved' THEN coalesce(c.agreed_refund, 0) ELSE 0 END,
        v * (c.referral_channel IS NOT DISTINCT FROM 'police')::int
    ]::bigint[]
    FROM (SELECT (c.state <> 'invalid')::int AS v) AS valid
$$;

CREATE FUNCTION complaints_maintain_merchant_record() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    added bigint[] := redress_merchant_contribution(NEW);
    removed bigint[] := CASE WHEN TG_OP = 'UPDATE' THEN redress_merchant_contribution(OLD) ELSE array_fill(0::bigint, ARRAY[7]) END;
    delta bigint[] := ARRAY(SELECT a - b FROM unnest(added, removed) AS pair (a, b));
BEGIN
    IF delta <> array_fill(0::bigint, ARRAY[7]) THEN
        INSERT INTO merchant_monthly_record AS r (merchant_id, platform_id, month, complaints, invalid, open, unresolved, missed_deadline,
            amount_refunded, police_referrals)
        VALUES (NEW.merchant_id, NEW.platform_id, date_trunc('month', NEW.submitted_on)::date, delta[1], delta[2], delta[3], delta[4],
            delta[5], delta[6], delta[7])
        ON CONFLICT (merchant_id, month) DO UPDATE SET
            complaints = r.complaints + excluded.complaints, invalid = r.invalid + excluded.invalid, open = r.open + excluded.open,
            unresolved = r.unresolved + excluded.unresolved,
            missed_deadline = r.missed_deadline + excluded.missed_deadline, amount_refunded = r.amount_refunded + excluded.amount_refunded,
            police_referrals = r.police_referrals + excluded.police_referrals;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER complaints_merchant_record AFTER INSERT OR UPDATE ON complaints
    FOR EACH ROW WHEN (NEW.merchant_id IS NOT NULL) EXECUTE FUNCTION complaints_maintain_merchant_record();

-- Who reads a record: mediation bodies and auditors every merchant's; a platform its own merchants';
-- a merchant its own; a consumer the company of a merchant named in his case that he took to the
-- police or a court (the record goes with the dossier). Only the trigger writes.
ALTER TABLE merchant_monthly_record ENABLE ROW LEVEL SECURITY;
ALTER TABLE merchant_monthly_record FORCE ROW LEVEL SECURITY;
CREATE POLICY merchant_record_read ON merchant_monthly_record FOR SELECT USING (
    redress_actor_role() IN ('mediator', 'mediation_lead', 'auditor', 'system', 'cli')
    OR (redress_actor_role() IN ('platform_staff', 'platform_admin') AND platform_id = redress_actor_org())
    OR (redress_actor_role() = 'merchant_staff' AND merchant_id = redress_actor_org())
    OR (redress_actor_role() = 'consumer' AND EXISTS (
        SELECT 1 FROM complaints c JOIN merchants named ON named.id = c.merchant_id
        JOIN merchants same ON same.id = named.id OR same.credit_code = named.credit_code
        WHERE c.consumer_id = redress_actor_id() AND c.referral_channel IN ('court', 'police')
          AND same.id = merchant_monthly_record.merchant_id)));
CREATE POLICY merchant_record_maintain ON merchant_monthly_record FOR ALL TO CURRENT_USER USING (true) WITH CHECK (true);
GRANT SELECT ON merchant_monthly_record TO redress_app;

-- The record of the complaints filed before this migration.
SELECT set_config('redress.role', 'system', true);
INSERT INTO merchant_monthly_record (merchant_id, platform_id, month, complaints, invalid, open, unresolved, missed_deadline, amount_refunded,
    police_referrals)
SELECT merchant_id, platform_id, date_trunc('month', submitted_on)::date, sum(v[1]), sum(v[2]), sum(v[3]), sum(v[4]), sum(v[5]), sum(v[6]),
    sum(v[7])
FROM (SELECT merchant_id, platform_id, submitted_on, redress_merchant_contribution(c) AS v FROM complaints c WHERE merchant_id IS NOT NULL) x
GROUP BY 1, 2, 3;
SELECT set_config('redress.role', '', true);
