-- 0013: money within bounds. The service refuses amounts above ¥10,000,000 (1,000,000,000 fen), any
-- currency but CNY, refunds above what was paid; the database holds every new or changed value to the
-- same rules, so that no sum of a platform's figures can leave bigint. A trigger rather than CHECK
-- constraints: a value written before these rules stays as it was, and the row can still change in
-- other columns (a CHECK on the whole row would refuse the deadline job's update of such a case, and
-- stop the job at the first one); statistics saturate over it instead.
CREATE FUNCTION complaints_money_bounded() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    inserted boolean := TG_OP = 'INSERT';
BEGIN
    IF (inserted OR NEW.amount_paid IS DISTINCT FROM OLD.amount_paid)
        AND NOT coalesce(NEW.amount_paid BETWEEN 0 AND 1000000000, false) THEN
        RAISE EXCEPTION 'amount_paid % is out of bounds', NEW.amount_paid
            USING ERRCODE = 'check_violation', CONSTRAINT = 'complaints_amount_paid_bounded';
    END IF;
    IF (inserted OR NEW.currency IS DISTINCT FROM OLD.currency) AND NEW.currency IS DISTINCT FROM 'CNY' THEN
        RAISE EXCEPTION 'currency % is not CNY', NEW.currency
            USING ERRCODE = 'check_violation', CONSTRAINT = 'complaints_currency_cny';
    END IF;
    IF (inserted OR NEW.refund_claimed IS DISTINCT FROM OLD.refund_claimed OR NEW.amount_paid IS DISTINCT FROM OLD.amount_paid)
        AND NOT coalesce(NEW.refund_claimed BETWEEN 0 AND NEW.amount_paid, false) THEN
        RAISE EXCEPTION 'refund_claimed % is out of bounds', NEW.refund_claimed
            USING ERRCODE = 'check_violation', CONSTRAINT = 'complaints_refund_claimed_bounded';
    END IF;
    IF (inserted OR NEW.agreed_refund IS DISTINCT FROM OLD.agreed_refund OR NEW.amount_paid IS DISTINCT FROM OLD.amount_paid)
        AND NEW.agreed_refund IS NOT NULL AND NOT (NEW.agreed_refund BETWEEN 0 AND NEW.amount_paid) THEN
        RAISE EXCEPTION 'agreed_refund % is out of bounds', NEW.agreed_refund
            USING ERRCODE = 'check_violation', CONSTRAINT = 'complaints_agreed_refund_bounded';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER complaints_money_bounded BEFORE INSERT OR UPDATE ON complaints
    FOR EACH ROW EXECUTE FUNCTION complaints_money_bounded();
