-- 0049: a page of the complaint list in one statement, as 0048 did for reading one case. A list was
-- four round trips (BEGIN, the caller's identity, the page, COMMIT), and six where an index gives the
-- page in order (sorting ruled out before the page and allowed again after it), each costing the
-- service and PostgreSQL more than a row of the page. `redress_complaint_page` takes the caller's
-- identity, rules sorting out where an index gives the page in order (the caller says so:
-- `ComplaintFilter.hasOrderedIndex`), and reads the page as the caller under the same row-level
-- security. Both settings are transaction-local: called on its own, as the service calls it, they end
-- with the statement's implicit transaction. A NULL filter means "any". Every call is planned for its
-- own values (`plan_cache_mode`), as the statement it replaces was: a plan kept for all values could
-- not leave out the conditions a call does not use, nor pick the index its scope needs.
-- Connections keep the service's statements prepared, and the functions return rows of the view
-- below: a later change of the complaint's columns needs a new view and new functions, each under a
-- new name (the view's columns cannot be altered under it, nor a result type changed under a
-- prepared statement). Security-invoker views need PostgreSQL 15 or later.

-- A complaint as the service reads it (`Transaction.complaintColumns`), once for every function
-- that returns whole cases. Read as the caller: row-level security applies as to the table.
CREATE VIEW redress_complaint_rows WITH (security_invoker = true) AS
SELECT
    id, consumer_id, consumer_name, platform_id, merchant_id, category, title, description, order_no, product_name,
    amount_paid, currency, ordered_at, payment_channel, payment_ref, demands::text AS demands, ultimatum_days,
    ultimatum_at, state, version, submitted_at, updated_at, stage_started_at, deadline_at, overdue, overdue_party,
    merchant_missed_deadline, platform_missed_deadline, first_response_at, first_response_by,
    first_response_deadline_at, first_response_on_time, answered_by, answer::text AS answer, answer_rejected,
    mediation_body_id, escalated_at, triaged, mediator_id, mediated, settlement::text AS settlement,
    consumer_accepted_settlement, platform_accepted_settlement, agreed_outcome::text AS agreed_outcome,
    agreed_refund, resolved_at, referral_channel, referral_reference, rating, rating_comment, closed_at,
    standard_deadline_at, standard_deadline_passed, promise::text AS promise, invalid_reason, outcome, closes_at,
    unfulfilled_reports, to_char(rated_on, 'YYYY-MM-DD') AS rated_on, erased_at, anonymised_at, acknowledgements,
    last_acknowledged_at, fault_claim, fault_finding, referral_outcome, referral_closed_at, refiles,
    platform_deadline_held_at, escalated_by, collective_id
FROM complaints;
GRANT SELECT ON redress_complaint_rows TO redress_app;

-- Sets the caller's identity for the rest of the transaction, as the service's own `set_config`
-- statement does; where an identity is already set (inside a transaction), it refuses rather than
-- replace it.
CREATE FUNCTION redress_take_caller(
    caller_role text, caller_account text, caller_organization text, caller_email text, caller_session text)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
AS $$
BEGIN
    IF coalesce(current_setting('redress.role', true), '') <> '' THEN
        RAISE EXCEPTION 'the caller''s identity is already set' USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM set_config('redress.role', caller_role, true), set_config('redress.account_id', caller_account, true),
        set_config('redress.organization_id', caller_organization, true), set_config('redress.auth_email', caller_email, true),
        set_config('redress.session_digest', caller_session, true);
END
$$;
REVOKE ALL ON FUNCTION redress_take_caller(text, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION redress_take_caller(text, text, text, text, text) TO redress_app;

CREATE FUNCTION redress_complaint_page(
    caller_role text, caller_account text, caller_organization text, caller_email text, caller_session text,
    scope_consumer uuid, scope_platform uuid, scope_merchant uuid, scope_body uuid,
    only_state text, any_state text[], only_category text, only_platform uuid, only_merchant uuid, only_overdue boolean,
    submitted_from timestamptz, submitted_before timestamptz, title_pattern text,
    after_microseconds bigint, after_id uuid, row_limit integer, in_index_order boolean)
    RETURNS SETOF redress_complaint_rows
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    SET plan_cache_mode = force_custom_plan
AS $$
BEGIN
    PERFORM redress_take_caller(caller_role, caller_account, caller_organization, caller_email, caller_session);
    IF in_index_order THEN
        PERFORM set_config('enable_sort', 'off', true);
    END IF;
    RETURN QUERY
    SELECT r.* FROM redress_complaint_rows r
    WHERE (redress_complaint_page.scope_consumer IS NULL OR r.consumer_id = redress_complaint_page.scope_consumer)
      AND (redress_complaint_page.scope_platform IS NULL OR r.platform_id = redress_complaint_page.scope_platform)
      AND (redress_complaint_page.scope_merchant IS NULL OR r.merchant_id = redress_complaint_page.scope_merchant)
      AND (redress_complaint_page.scope_body IS NULL OR r.mediation_body_id = redress_complaint_page.scope_body)
      AND (redress_complaint_page.only_state IS NULL OR r.state = redress_complaint_page.only_state)
      AND (redress_complaint_page.any_state IS NULL OR r.state = ANY (redress_complaint_page.any_state))
      AND (redress_complaint_page.only_category IS NULL OR r.category = redress_complaint_page.only_category)
      AND (redress_complaint_page.only_platform IS NULL OR r.platform_id = redress_complaint_page.only_platform)
      AND (redress_complaint_page.only_merchant IS NULL OR r.merchant_id = redress_complaint_page.only_merchant)
      AND (redress_complaint_page.only_overdue IS NULL OR r.overdue = redress_complaint_page.only_overdue)
      AND (redress_complaint_page.submitted_from IS NULL OR r.submitted_at >= redress_complaint_page.submitted_from)
      AND (redress_complaint_page.submitted_before IS NULL OR r.submitted_at < redress_complaint_page.submitted_before)
      AND (redress_complaint_page.title_pattern IS NULL OR r.title ILIKE redress_complaint_page.title_pattern)
      AND (r.submitted_at, r.id) > ('epoch'::timestamptz + redress_complaint_page.after_microseconds * interval '1 microsecond',
                                    redress_complaint_page.after_id)
    ORDER BY r.submitted_at, r.id
    LIMIT redress_complaint_page.row_limit;
END
$$;
REVOKE ALL ON FUNCTION redress_complaint_page(
    text, text, text, text, text, uuid, uuid, uuid, uuid, text, text[], text, uuid, uuid, boolean, timestamptz, timestamptz, text,
    bigint, uuid, integer, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION redress_complaint_page(
    text, text, text, text, text, uuid, uuid, uuid, uuid, text, text[], text, uuid, uuid, boolean, timestamptz, timestamptz, text,
    bigint, uuid, integer, boolean) TO redress_app;
