-- 0016: money bounds by trigger instead of 0013's CHECK constraints. A CHECK holds the whole row on
-- every update, so a case stored before the bounds could not change at all (the deadline job's update
-- of it failed, and stopped the job at the first such case). The trigger holds every new or changed
-- amount to the same rules, and leaves a value written before them as it was (statistics saturate
-- over it).
ALTER TABLE complaints
    DROP CONSTRAINT IF EXISTS complaints_amount_paid_bounded,
    DROP CONSTRAINT IF EXISTS complaints_currency_cny,
    DROP CONSTRAINT IF EXISTS complaints_refund_claimed_bounded,
    DROP CONSTRAINT IF EXISTS complaints_agreed_refund_bounded;

CREATE OR REPLACE FUNCTION complaints_money_bounded() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
DECLARE
    inserted boolean := TG_OP = 'INSERT';
    paid_changed boolean := inserted OR NEW.amount_paid IS DISTINCT FROM OLD.amount_paid;
BEGIN
    IF paid_changed AND NOT coalesce(NEW.amount_paid BETWEEN 0 AND 1000000000, false) THEN
        RAISE EXCEPTION 'amount_paid % is out of bounds', NEW.amount_paid
            USING ERRCODE = 'check_violation', CONSTRAINT = 'complaints_amount_paid_bounded';
    END IF;
    IF (inserted OR NEW.currency IS DISTINCT FROM OLD.currency) AND NEW.currency IS DISTINCT FROM 'CNY' THEN
        RAISE EXCEPTION 'currency % is not CNY', NEW.currency
            USING ERRCODE = 'check_violation', CONSTRAINT = 'complaints_currency_cny';
    END IF;
    IF (paid_changed OR NEW.refund_claimed IS DISTINCT FROM OLD.refund_claimed)
        AND NOT coalesce(NEW.refund_claimed BETWEEN 0 AND least(NEW.amount_paid, 1000000000), false) THEN
        RAISE EXCEPTION 'refund_claimed % is out of bounds', NEW.refund_claimed
            USING ERRCODE = 'check_violation', CONSTRAINT = 'complaints_refund_claimed_bounded';
    END IF;
    -- An agreed refund is new money in the figures: within the bound and in CNY even on an old row.
    IF (paid_changed OR NEW.agreed_refund IS DISTINCT FROM OLD.agreed_refund) AND NEW.agreed_refund IS NOT NULL
        AND NOT (NEW.agreed_refund BETWEEN 0 AND least(NEW.amount_paid, 1000000000) AND NEW.currency = 'CNY') THEN
        RAISE EXCEPTION 'agreed_refund % is out of bounds', NEW.agreed_refund
            USING ERRCODE = 'check_violation', CONSTRAINT = 'complaints_agreed_refund_bounded';
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS complaints_money_bounded ON complaints;
CREATE TRIGGER complaints_money_bounded BEFORE INSERT OR UPDATE ON complaints
    FOR EACH ROW EXECUTE FUNCTION complaints_money_bounded();
