-- 0043: the statistics a filing or a change of a case adds are computed and written by PL/pgSQL
-- functions, not SQL ones. A SQL function with its own settings (the search path) is never inlined,
-- and its body is parsed and planned again each time a transaction calls it: the two behind the
-- platform statistics took 1.3 ms each per filing at a million complaints (pg_stat_user_functions),
-- the largest share of a filing's time in PostgreSQL. PL/pgSQL keeps each statement's plan for the
-- session. The bodies are unchanged.

CREATE OR REPLACE FUNCTION redress_statistics_contribution(c complaints) RETURNS bigint[]
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, public
AS $$
DECLARE
    k int := (c.state <> 'invalid' AND c.fault_finding IS DISTINCT FROM 'consumer'
                  AND NOT (c.state = 'withdrawn' AND c.first_response_at IS NULL
                  AND c.standard_deadline_at IS NOT NULL AND c.closed_at <= c.standard_deadline_at))::int;
BEGIN
    RETURN ARRAY[
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
        k * (c.state = 'referred')::int,
        k * c.repeat_filing::int,
        k * (c.collective_id IS NOT NULL)::int
    ]::bigint[];
END
$$;

CREATE OR REPLACE FUNCTION redress_merchant_contribution(c complaints) RETURNS bigint[]
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, public
AS $$
DECLARE
    v int := (c.state <> 'invalid')::int;
BEGIN
    -- A complaint the mediation body found invalid (anyone can file one) counts there only.
    RETURN ARRAY[
        v,
        1 - v,
        v * (c.state NOT IN ('closed_resolved', 'closed', 'withdrawn', 'invalid', 'referred'))::int,
        v * (c.state IN ('mediation_failed', 'referred') OR (c.state = 'closed' AND c.outcome = 'unresolved'))::int,
        v * (c.merchant_missed_deadline OR c.platform_missed_deadline OR c.overdue)::int,
        v * CASE WHEN c.state = 'closed_resolved' THEN coalesce(c.agreed_refund, 0) ELSE 0 END,
        v * (c.referral_channel IS NOT DISTINCT FROM 'police')::int
    ]::bigint[];
END
$$;

CREATE OR REPLACE FUNCTION redress_add_statistics(platform uuid, day date, category text, delta bigint[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
AS $$
#variable_conflict use_column
-- A name in the statements is the tables' column; a parameter of the same name is named with the function's.
BEGIN
    INSERT INTO platform_daily_statistics AS s (platform_id, day, category, complaints, counted, due, responded,
        responded_on_time, awaiting_response, resolved_monetary, resolved_non_monetary, closed_with_explanation, closed_unresolved,
        escalated, withdrawn, invalid, amount_claimed, amount_refunded, ratings, rating_sum, unfair_terms_confirmed, threats_confirmed,
        found_platform, found_merchant, found_shared, found_consumer_error, held_without_answer, referred, repeat_complaints,
        collective)
    VALUES (redress_add_statistics.platform, redress_add_statistics.day, redress_add_statistics.category,
        delta[1], delta[2], delta[3], delta[4], delta[5], delta[6], delta[7], delta[8],
        delta[9], delta[10], delta[11], delta[12], delta[13], delta[14], delta[15], delta[16], delta[17], delta[18], delta[19],
        delta[20], delta[21], delta[22], delta[23], delta[24], delta[25], delta[26], delta[27])
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
        held_without_answer = s.held_without_answer + excluded.held_without_answer, referred = s.referred + excluded.referred,
        repeat_complaints = s.repeat_complaints + excluded.repeat_complaints, collective = s.collective + excluded.collective;
    INSERT INTO platform_monthly_statistics AS s (platform_id, month, category, complaints, counted, due, responded,
        responded_on_time, awaiting_response, resolved_monetary, resolved_non_monetary, closed_with_explanation, closed_unresolved,
        escalated, withdrawn, invalid, amount_claimed, amount_refunded, ratings, rating_sum, unfair_terms_confirmed, threats_confirmed,
        found_platform, found_merchant, found_shared, found_consumer_error, held_without_answer, referred, repeat_complaints,
        collective)
    VALUES (redress_add_statistics.platform, date_trunc('month', redress_add_statistics.day)::date, redress_add_statistics.category,
        delta[1], delta[2], delta[3], delta[4], delta[5], delta[6],
        delta[7], delta[8], delta[9], delta[10], delta[11], delta[12], delta[13], delta[14], delta[15], delta[16], delta[17],
        delta[18], delta[19], delta[20], delta[21], delta[22], delta[23], delta[24], delta[25], delta[26], delta[27])
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
        held_without_answer = s.held_without_answer + excluded.held_without_answer, referred = s.referred + excluded.referred,
        repeat_complaints = s.repeat_complaints + excluded.repeat_complaints, collective = s.collective + excluded.collective;
END
$$;
