-- 0033: who was responsible — the consumer's view at filing, the seller's in its answer, and finally
-- the mediator's finding — and the rollups' new counters: cases with a confirmed unfair term or threat
-- (0032), cases by the mediator's finding, and cases held with two or more holding replies and no
-- answer (0031), which the mediation bodies see in the staff statistics. A case the mediator found to be the consumer's own error
-- (a card key that expired through his misuse) leaves the denominators, like an invalid one, so that no
-- platform is ranked down for it.
-- (The seller's view is part of its answer.)
ALTER TABLE complaints
    ADD COLUMN fault_claim text CHECK (fault_claim IN ('platform', 'merchant', 'consumer', 'shared', 'undetermined')),
    ADD COLUMN fault_finding text CHECK (fault_finding IN ('platform', 'merchant', 'consumer', 'shared', 'undetermined'));
GRANT UPDATE (fault_finding) ON complaints TO redress_app;

-- Like every figure but complaints, withdrawn and invalid, of counted cases only: so that a month's
-- cells are withheld by the one rule. Also the cases referred outward (12315, a court, the police).
ALTER TABLE platform_daily_statistics
    ADD COLUMN unfair_terms_confirmed bigint NOT NULL DEFAULT 0,
    ADD COLUMN threats_confirmed bigint NOT NULL DEFAULT 0,
    ADD COLUMN found_platform bigint NOT NULL DEFAULT 0,
    ADD COLUMN found_merchant bigint NOT NULL DEFAULT 0,
    ADD COLUMN found_shared bigint NOT NULL DEFAULT 0,
    ADD COLUMN found_consumer_error bigint NOT NULL DEFAULT 0,
    ADD COLUMN held_without_answer bigint NOT NULL DEFAULT 0,
    ADD COLUMN referred bigint NOT NULL DEFAULT 0;
ALTER TABLE platform_monthly_statistics
    ADD COLUMN unfair_terms_confirmed bigint NOT NULL DEFAULT 0,
    ADD COLUMN threats_confirmed bigint NOT NULL DEFAULT 0,
    ADD COLUMN found_platform bigint NOT NULL DEFAULT 0,
    ADD COLUMN found_merchant bigint NOT NULL DEFAULT 0,
    ADD COLUMN found_shared bigint NOT NULL DEFAULT 0,
    ADD COLUMN found_consumer_error bigint NOT NULL DEFAULT 0,
    ADD COLUMN held_without_answer bigint NOT NULL DEFAULT 0,
    ADD COLUMN referred bigint NOT NULL DEFAULT 0;

ALTER TABLE complaints DISABLE TRIGGER complaints_statistics;
CREATE OR REPLACE FUNCTION redress_statistics_contribution(c complaints) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, public
AS $$
    SELECT ARRAY[
        1,
        k,
        k * (c.first_response_at IS NOT NULL OR c.standard_deadline_passed OR c.standard_deadline_at IS NULL
             OR coalesce(c.closed_at > c.standard_deadline_at, false))::int,
        k * (c.first_response_at IS NOT NULL)::int,
        k * (c.first_response_on_time IS TRUE)::int,
        k * (c.first_response_at IS NULL AND c.state IN ('awaiting_merchant', 'awaiting_platform'))::int,
        k * (c.state = 'closed_resolved' AND c.outcome = 'monetary_relief')::int,
        k * (c.state = 'closed_resolved' AND c.outcome = 'non_monetary_relief')::int,
        k * (c.state = 'closed' AND c.outcome = 'explanation')::int,
        k * (c.state = 'closed' AND c.outcome = 'unresolved')::int,
        k * (c.escalated_at IS NOT NULL)::int,
        (c.state = 'withdrawn')::int,
        (c.state = 'invalid')::int,
        k * c.refund_claimed,
        k * CASE WHEN c.state = 'closed_resolved' THEN coalesce(c.agreed_refund, 0) ELSE 0 END,
        k * (c.rating IS NOT NULL)::int,
        k * coalesce(c.rating, 0),
        k * c.unfair_term_confirmed::int,
        k * c.threat_confirmed::int,
        k * (c.fault_finding IS NOT DISTINCT FROM 'platform')::int,
        k * (c.fault_finding IS NOT DISTINCT FROM 'merchant')::int,
        k * (c.fault_finding IS NOT DISTINCT FROM 'shared')::int,
        (c.state <> 'invalid' AND c.fault_finding IS NOT DISTINCT FROM 'consumer')::int,
        k * (c.acknowledgements >= 2 AND c.first_response_at IS NULL)::int,
        k * (c.state = 'referred')::int
    ]::bigint[]
    FROM (SELECT (c.state <> 'invalid' AND c.fault_finding IS DISTINCT FROM 'consumer'
                  AND NOT (c.state = 'withdrawn' AND c.first_response_at IS NULL
                  AND c.standard_deadline_at IS NOT NULL AND c.closed_at <= c.standard_deadline_at))::int AS k) AS counted
$$;

DROP FUNCTION redress_add_statistics(uuid, date, text, bigint[]);
CREATE FUNCTION redress_add_statistics(platform uuid, day date, category text, delta bigint[]) RETURNS void
    LANGUAGE sql
    SET search_path = pg_catalog, public
AS $$
    INSERT INTO platform_daily_statistics AS s (platform_id, day, category, complaints, counted, due, responded,
        responded_on_time, awaiting_response, resolved_monetary, resolved_non_monetary, closed_with_explanation, closed_unresolved,
        escalated, withdrawn, invalid, amount_claimed, amount_refunded, ratings, rating_sum, unfair_terms_confirmed, threats_confirmed,
        found_platform, found_merchant, found_shared, found_consumer_error, held_without_answer, referred)
    VALUES (platform, day, category, delta[1], delta[2], delta[3], delta[4], delta[5], delta[6], delta[7], delta[8],
        delta[9], delta[10], delta[11], delta[12], delta[13], delta[14], delta[15], delta[16], delta[17], delta[18], delta[19],
        delta[20], delta[21], delta[22], delta[23], delta[24], delta[25])
    ON CONFLICT (platform_id, day, category) DO UPDATE SET
        complaints = s.complaints + excluded.complaints, counted = s.counted + excluded.counted, due = s.due + excluded.due,
        responded = s.responded + excluded.responded, responded_on_time = s.responded_on_time + excluded.responded_on_time,
        awaiting_response = s.awaiting_response + excluded.awaiting_response,
        resolved_monetary = s.resolved_monetary + excluded.resolved_monetary,
        resolved_non_monetary = s.resolved_non_monetary + excluded.resolved_non_monetary,
        closed_with_explanation = s.closed_with_explanation + excluded.closed_with_explanation,
        closed_unresolved = s.closed_unresolved + excluded.closed_unresolved,
        escalated = s.escalated + excluded.escalated, withdrawn = s.withdrawn + excluded.withdrawn,
        invalid = s.invalid + excluded.invalid, amount_claimed = s.amount_claimed + excluded.amount_claimed,
        amount_refunded = s.amount_refunded + excluded.amount_refunded, ratings = s.ratings + excluded.ratings,
        rating_sum = s.rating_sum + excluded.rating_sum,
        unfair_terms_confirmed = s.unfair_terms_confirmed + excluded.unfair_terms_confirmed,
        threats_confirmed = s.threats_confirmed + excluded.threats_confirmed,
        found_platform = s.found_platform + excluded.found_platform, found_merchant = s.found_merchant + excluded.found_merchant,
        found_shared = s.found_shared + excluded.found_shared, found_consumer_error = s.found_consumer_error + excluded.found_consumer_error,
        held_without_answer = s.held_without_answer + excluded.held_without_answer, referred = s.referred + excluded.referred;
    INSERT INTO platform_monthly_statistics AS s (platform_id, month, category, complaints, counted, due, responded,
        responded_on_time, awaiting_response, resolved_monetary, resolved_non_monetary, closed_with_explanation, closed_unresolved,
        escalated, withdrawn, invalid, amount_claimed, amount_refunded, ratings, rating_sum, unfair_terms_confirmed, threats_confirmed,
        found_platform, found_merchant, found_shared, found_consumer_error, held_without_answer, referred)
    VALUES (platform, date_trunc('month', day)::date, category, delta[1], delta[2], delta[3], delta[4], delta[5], delta[6],
        delta[7], delta[8], delta[9], delta[10], delta[11], delta[12], delta[13], delta[14], delta[15], delta[16], delta[17],
        delta[18], delta[19], delta[20], delta[21], delta[22], delta[23], delta[24], delta[25])
    ON CONFLICT (platform_id, month, category) DO UPDATE SET
        complaints = s.complaints + excluded.complaints, counted = s.counted + excluded.counted, due = s.due + excluded.due,
        responded = s.responded + excluded.responded, responded_on_time = s.responded_on_time + excluded.responded_on_time,
        awaiting_response = s.awaiting_response + excluded.awaiting_response,
        resolved_monetary = s.resolved_monetary + excluded.resolved_monetary,
        resolved_non_monetary = s.resolved_non_monetary + excluded.resolved_non_monetary,
        closed_with_explanation = s.closed_with_explanation + excluded.closed_with_explanation,
        closed_unresolved = s.closed_unresolved + excluded.closed_unresolved,
        escalated = s.escalated + excluded.escalated, withdrawn = s.withdrawn + excluded.withdrawn,
        invalid = s.invalid + excluded.invalid, amount_claimed = s.amount_claimed + excluded.amount_claimed,
        amount_refunded = s.amount_refunded + excluded.amount_refunded, ratings = s.ratings + excluded.ratings,
        rating_sum = s.rating_sum + excluded.rating_sum,
        unfair_terms_confirmed = s.unfair_terms_confirmed + excluded.unfair_terms_confirmed,
        threats_confirmed = s.threats_confirmed + excluded.threats_confirmed,
        found_platform = s.found_platform + excluded.found_platform, found_merchant = s.found_merchant + excluded.found_merchant,
        found_shared = s.found_shared + excluded.found_shared, found_consumer_error = s.found_consumer_error + excluded.found_consumer_error,
        held_without_answer = s.held_without_answer + excluded.held_without_answer, referred = s.referred + excluded.referred;
$$;

CREATE OR REPLACE FUNCTION complaints_maintain_statistics() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    added bigint[] := redress_statistics_contribution(NEW);
    removed bigint[] := CASE WHEN TG_OP = 'UPDATE' THEN redress_statistics_contribution(OLD)
                             ELSE array_fill(0::bigint, ARRAY[25]) END;
    delta bigint[] := ARRAY(SELECT a - b FROM unnest(added, removed) AS pair (a, b));
BEGIN
    IF delta <> array_fill(0::bigint, ARRAY[25]) THEN
        PERFORM redress_add_statistics(NEW.platform_id, NEW.submitted_on, NEW.category, delta);
    END IF;
    IF NEW.rated_on IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.rated_on IS NULL) THEN
        INSERT INTO platform_monthly_ratings AS r (platform_id, month, ratings, rating_sum)
        VALUES (NEW.platform_id, date_trunc('month', NEW.rated_on)::date, 1, NEW.rating)
        ON CONFLICT (platform_id, month) DO UPDATE SET ratings = r.ratings + 1, rating_sum = r.rating_sum + excluded.rating_sum;
    END IF;
    IF NEW.first_response_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.first_response_at IS NULL) THEN
        INSERT INTO complaint_response_times (complaint_id, platform_id, submitted_on, category, seconds)
        VALUES (NEW.id, NEW.platform_id, NEW.submitted_on, NEW.category,
                extract(epoch FROM NEW.first_response_at - NEW.submitted_at));
    END IF;
    RETURN NULL;
END
$$;
ALTER TABLE complaints ENABLE TRIGGER complaints_statistics;
