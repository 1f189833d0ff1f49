-- 0050: a page of a mediation body's triage queue in one statement, as 0049 did for the complaint
-- list: the caller's identity taken for the statement's own implicit transaction, then the page read
-- as the caller under row-level security, most urgent first. Four round trips become one. Every call
-- is planned for its own values, as the statement it replaces was. Where an identity is already set
-- (inside a transaction), it refuses rather than replace it. Its rows are those of 0049's view: a
-- change of the complaint's columns needs a new view and functions under new names.
CREATE FUNCTION redress_triage_page(
    caller_role text, caller_account text, caller_organization text, caller_email text, caller_session text,
    body_id uuid, any_state text[], only_overdue boolean, only_mediator uuid, only_unassigned boolean,
    row_offset bigint, row_limit integer)
    RETURNS SETOF redress_complaint_rows
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    SET plan_cache_mode = force_custom_plan
AS $$
BEGIN
    PERFORM redress_take_caller(caller_role, caller_account, caller_organization, caller_email, caller_session);
    RETURN QUERY
    SELECT r.* FROM redress_complaint_rows r
    WHERE r.mediation_body_id = redress_triage_page.body_id AND r.state = ANY (redress_triage_page.any_state)
      AND (redress_triage_page.only_overdue IS NULL OR r.overdue = redress_triage_page.only_overdue)
      AND (redress_triage_page.only_mediator IS NULL OR r.mediator_id = redress_triage_page.only_mediator)
      AND (NOT redress_triage_page.only_unassigned OR r.mediator_id IS NULL)
    ORDER BY r.overdue DESC, r.deadline_at ASC NULLS LAST, r.amount_paid DESC, r.id
    OFFSET redress_triage_page.row_offset LIMIT redress_triage_page.row_limit;
END
$$;
REVOKE ALL ON FUNCTION redress_triage_page(text, text, text, text, text, uuid, text[], boolean, uuid, boolean, bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION redress_triage_page(text, text, text, text, text, uuid, text[], boolean, uuid, boolean, bigint, integer) TO redress_app;
