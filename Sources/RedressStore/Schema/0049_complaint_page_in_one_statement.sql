-- 0049: a page of the complaint list in one statement, as 0048 did for reading one case. A list was
-- four round trips (BEGIN, the caller's identity, the page, COMMIT), and six where an index gives the
-- page in order (sorting ruled out before the page and allowed again after it), each costing the
-- service and PostgreSQL more than a row of the page. This function sets the caller's identity, rules
-- sorting out where an index gives the page in order (the caller says so:
-- `ComplaintFilter.hasOrderedIndex`), and reads the page as the caller under the same row-level
-- security. Both settings are transaction-local: called on its own, as the service calls it, they end
-- with the statement's implicit transaction.
-- A NULL filter means "any". Every call is planned for its own values (`plan_cache_mode`), as the
-- statement it replaces was: a plan kept for all values could not leave out the conditions a call
-- does not use, nor pick the index its scope needs.
-- Called where an identity is already set (inside a transaction), it refuses rather than replace it.
-- Connections keep the service's statement prepared: a later change of the result type needs a
-- function of a new name.
CREATE FUNCTION redress_complaint_page(
    caller_role text, caller_account text, caller_organization text, caller_email text, caller_session text,
    scope_consumer uuid, scope_platform uuid, scope_merchant uuid, scope_body uuid,
    only_state text, any_state text[], only_category text, only_platform uuid, only_merchant uuid, only_overdue boolean,
    submitted_from timestamptz, submitted_before timestamptz, title_pattern text,
    after_microseconds bigint, after_id uuid, row_limit integer, in_index_order boolean)
    RETURNS TABLE (
        id uuid, consumer_id uuid, consumer_name text, platform_id uuid, merchant_id uuid, category text,
        title text, description text, order_no text, product_name text, amount_paid bigint, currency text,
        ordered_at timestamptz, payment_channel text, payment_ref text, demands text, ultimatum_days integer,
        ultimatum_at timestamptz, state text, version integer, submitted_at timestamptz, updated_at timestamptz,
        stage_started_at timestamptz, deadline_at timestamptz, overdue boolean, overdue_party text,
        merchant_missed_deadline boolean, platform_missed_deadline boolean, first_response_at timestamptz,
        first_response_by text, first_response_deadline_at timestamptz, first_response_on_time boolean,
        answered_by text, answer text, answer_rejected boolean, mediation_body_id uuid,
        escalated_at timestamptz, triaged boolean, mediator_id uuid, mediated boolean, settlement text,
        consumer_accepted_settlement boolean, platform_accepted_settlement boolean, agreed_outcome text,
        agreed_refund bigint, resolved_at timestamptz, referral_channel text, referral_reference text, rating integer,
        rating_comment text, closed_at timestamptz, standard_deadline_at timestamptz, standard_deadline_passed boolean,
        promise text, invalid_reason text, outcome text, closes_at timestamptz, unfulfilled_reports integer,
        rated_on text, erased_at timestamptz, anonymised_at timestamptz, acknowledgements integer,
        last_acknowledged_at timestamptz, fault_claim text, fault_finding text, referral_outcome text,
        referral_closed_at timestamptz, refiles uuid, platform_deadline_held_at timestamptz, escalated_by text,
        collective_id uuid)
    LANGUAGE plpgsql
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
BEGIN
    IF coalesce(current_setting('redress.role', true), '') <> '' THEN
        RAISE EXCEPTION 'redress_complaint_page sets the identity itself' USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM set_config('redress.role', caller_role, true), set_config('redress.account_id', caller_account, true),
        set_config('redress.organization_id', caller_organization, true), set_config('redress.auth_email', caller_email, true),
        set_config('redress.session_digest', caller_session, true);
    IF in_index_order THEN
        PERFORM set_config('enable_sort', 'off', true);
    END IF;
    RETURN QUERY
    SELECT c.id, c.consumer_id, c.consumer_name, c.platform_id, c.merchant_id, c.category, c.title, c.description,
           c.order_no, c.product_name, c.amount_paid, c.currency, c.ordered_at, c.payment_channel,
           c.payment_ref, c.demands::text, c.ultimatum_days, c.ultimatum_at, c.state, c.version,
           c.submitted_at, c.updated_at, c.stage_started_at, c.deadline_at, c.overdue, c.overdue_party,
           c.merchant_missed_deadline, c.platform_missed_deadline, c.first_response_at, c.first_response_by,
           c.first_response_deadline_at, c.first_response_on_time, c.answered_by, c.answer::text,
           c.answer_rejected, c.mediation_body_id, c.escalated_at, c.triaged, c.mediator_id, c.mediated,
           c.settlement::text, c.consumer_accepted_settlement, c.platform_accepted_settlement,
           c.agreed_outcome::text, c.agreed_refund, c.resolved_at, c.referral_channel, c.referral_reference,
           c.rating, c.rating_comment, c.closed_at, c.standard_deadline_at, c.standard_deadline_passed,
           c.promise::text, c.invalid_reason, c.outcome, c.closes_at, c.unfulfilled_reports,
           to_char(c.rated_on, 'YYYY-MM-DD'), c.erased_at, c.anonymised_at, c.acknowledgements,
           c.last_acknowledged_at, c.fault_claim, c.fault_finding, c.referral_outcome, c.referral_closed_at,
           c.refiles, c.platform_deadline_held_at, c.escalated_by, c.collective_id
    FROM complaints c
    WHERE (redress_complaint_page.scope_consumer IS NULL OR c.consumer_id = redress_complaint_page.scope_consumer)
      AND (redress_complaint_page.scope_platform IS NULL OR c.platform_id = redress_complaint_page.scope_platform)
      AND (redress_complaint_page.scope_merchant IS NULL OR c.merchant_id = redress_complaint_page.scope_merchant)
      AND (redress_complaint_page.scope_body IS NULL OR c.mediation_body_id = redress_complaint_page.scope_body)
      AND (redress_complaint_page.only_state IS NULL OR c.state = redress_complaint_page.only_state)
      AND (redress_complaint_page.any_state IS NULL OR c.state = ANY (redress_complaint_page.any_state))
      AND (redress_complaint_page.only_category IS NULL OR c.category = redress_complaint_page.only_category)
      AND (redress_complaint_page.only_platform IS NULL OR c.platform_id = redress_complaint_page.only_platform)
      AND (redress_complaint_page.only_merchant IS NULL OR c.merchant_id = redress_complaint_page.only_merchant)
      AND (redress_complaint_page.only_overdue IS NULL OR c.overdue = redress_complaint_page.only_overdue)
      AND (redress_complaint_page.submitted_from IS NULL OR c.submitted_at >= redress_complaint_page.submitted_from)
      AND (redress_complaint_page.submitted_before IS NULL OR c.submitted_at < redress_complaint_page.submitted_before)
      AND (redress_complaint_page.title_pattern IS NULL OR c.title ILIKE redress_complaint_page.title_pattern)
      AND (c.submitted_at, c.id) > ('epoch'::timestamptz + redress_complaint_page.after_microseconds * interval '1 microsecond',
                                    redress_complaint_page.after_id)
    ORDER BY c.submitted_at, c.id
    LIMIT redress_complaint_page.row_limit;
END
$$;
REVOKE ALL ON FUNCTION redress_complaint_page(
    text, text, text, text, text, uuid, uuid, uuid, uuid, text, text[], text, uuid, uuid, boolean, timestamptz, timestamptz, text,
    bigint, uuid, integer, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION redress_complaint_page(
    text, text, text, text, text, uuid, uuid, uuid, uuid, text, text[], text, uuid, uuid, boolean, timestamptz, timestamptz, text,
    bigint, uuid, integer, boolean) TO redress_app;
