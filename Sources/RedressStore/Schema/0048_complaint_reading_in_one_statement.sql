-- 0048: reading one complaint by id in one statement. A read was four round trips (BEGIN, the caller's
-- identity, the case, COMMIT), and each cost the service more CPU than the case itself: a write and a
-- read of the socket and PostgresNIO's bookkeeping, about 0.07 ms. This function sets the caller's
-- identity for its own statement (transaction-local, as `SetIdentityStatement` does, so it ends with the
-- statement's implicit transaction) and then reads the case as the caller: the same columns as the
-- service's own reading statement, under the same row-level security, plus the consumer's contact
-- for a mediator or mediation lead (the service shows it only to the case's mediation body; row-level
-- security on accounts decides whether it is read at all). The statements inside run in order, so
-- the identity is set before the case is read; their plans are kept by PL/pgSQL for the connection.
-- Called where an identity is already set (inside a transaction), it refuses rather than replace it.
-- Connections keep the service's statement prepared: a later change of the result type needs a
-- function of a new name.
CREATE FUNCTION redress_complaint_reading(
    caller_role text, caller_account text, caller_organization text, caller_email text, caller_session text, case_id uuid)
    RETURNS TABLE (
        reading_consumer_email text, reading_consumer_phone text,
        reading_merchant_first boolean, reading_evidence_kinds text[], id uuid, consumer_id uuid, consumer_name text,
        platform_id uuid, merchant_id uuid, category text, title text, description text, order_no text, product_name text,
        amount_paid bigint, currency text, ordered_at timestamptz, payment_channel text, payment_ref text, demands text,
        ultimatum_days integer, ultimatum_at timestamptz, state text, version integer, submitted_at timestamptz,
        updated_at timestamptz, stage_started_at timestamptz, deadline_at timestamptz, overdue boolean, overdue_party text,
        merchant_missed_deadline boolean, platform_missed_deadline boolean, first_response_at timestamptz,
        first_response_by text, first_response_deadline_at timestamptz, first_response_on_time boolean, answered_by text,
        answer text, answer_rejected boolean, mediation_body_id uuid, escalated_at timestamptz, triaged boolean,
        mediator_id uuid, mediated boolean, settlement text, consumer_accepted_settlement boolean,
        platform_accepted_settlement boolean, agreed_outcome text, agreed_refund bigint, resolved_at timestamptz,
        referral_channel text, referral_reference text, rating integer, rating_comment text, closed_at timestamptz,
        standard_deadline_at timestamptz, standard_deadline_passed boolean, promise text, invalid_reason text,
        outcome text, closes_at timestamptz, unfulfilled_reports integer, rated_on text, erased_at timestamptz,
        anonymised_at timestamptz, acknowledgements integer, last_acknowledged_at timestamptz, fault_claim text,
        fault_finding text, referral_outcome text, referral_closed_at timestamptz, refiles uuid,
        platform_deadline_held_at timestamptz, escalated_by text, collective_id uuid)
    LANGUAGE plpgsql
AS $$
#variable_conflict use_column
BEGIN
    IF coalesce(current_setting('redress.role', true), '') <> '' THEN
        RAISE EXCEPTION 'redress_complaint_reading sets the identity itself' USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM set_config('redress.role', caller_role, true), set_config('redress.account_id', caller_account, true),
        set_config('redress.organization_id', caller_organization, true), set_config('redress.auth_email', caller_email, true),
        set_config('redress.session_digest', caller_session, true);
    RETURN QUERY
    SELECT a.email, a.phone,
           (SELECT p.merchant_first FROM platforms p WHERE p.id = c.platform_id),
           ARRAY(SELECT DISTINCT e.kind FROM evidence e WHERE e.complaint_id = c.id),
           c.id, c.consumer_id, c.consumer_name, c.platform_id, c.merchant_id, c.category, c.title, c.description, c.order_no,
           c.product_name, c.amount_paid, c.currency, c.ordered_at, c.payment_channel, c.payment_ref, c.demands::text,
           c.ultimatum_days, c.ultimatum_at, c.state, c.version, c.submitted_at, c.updated_at, c.stage_started_at,
           c.deadline_at, c.overdue, c.overdue_party, c.merchant_missed_deadline, c.platform_missed_deadline,
           c.first_response_at, c.first_response_by, c.first_response_deadline_at, c.first_response_on_time, c.answered_by,
           c.answer::text, c.answer_rejected, c.mediation_body_id, c.escalated_at, c.triaged, c.mediator_id, c.mediated,
           c.settlement::text, c.consumer_accepted_settlement, c.platform_accepted_settlement, c.agreed_outcome::text,
           c.agreed_refund, c.resolved_at, c.referral_channel, c.referral_reference, c.rating, c.rating_comment, c.closed_at,
           c.standard_deadline_at, c.standard_deadline_passed, c.promise::text, c.invalid_reason, c.outcome, c.closes_at,
           c.unfulfilled_reports, to_char(c.rated_on, 'YYYY-MM-DD'), c.erased_at, c.anonymised_at, c.acknowledgements,
           c.last_acknowledged_at, c.fault_claim, c.fault_finding, c.referral_outcome, c.referral_closed_at, c.refiles,
           c.platform_deadline_held_at, c.escalated_by, c.collective_id
    FROM complaints c
    LEFT JOIN accounts a ON redress_complaint_reading.caller_role IN ('mediator', 'mediation_lead') AND a.id = c.consumer_id
    WHERE c.id = redress_complaint_reading.case_id;
END
$$;
REVOKE ALL ON FUNCTION redress_complaint_reading(text, text, text, text, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION redress_complaint_reading(text, text, text, text, text, uuid) TO redress_app;
