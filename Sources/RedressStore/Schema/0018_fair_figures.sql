-- 0018: fair figures. One yardstick for every platform (the operator's standard deadline, kept on
-- each case), the platform's promise kept on the case at filing, complaints a neutral party found
-- invalid, outcomes by type, a closing time for every state only the consumer could end, and
-- statistics that count only valid complaints and count a case as late only once its standard
-- deadline has passed. Docs/metrics.md defines every counter, Docs/lifecycle.md every change.

-- Row-level security is forced on complaints: an owner that is not a superuser sees and changes
-- rows only as an actor. The backfill and the recount below act as the system, which sees them all.
SELECT set_config('redress.role', 'system', true);

ALTER TABLE complaints
    ADD COLUMN standard_deadline_at timestamptz,
    ADD COLUMN standard_deadline_passed boolean NOT NULL DEFAULT false,
    ADD COLUMN promise jsonb,
    ADD COLUMN invalid_reason text CHECK (invalid_reason IN ('duplicate', 'wrong_company', 'no_such_order', 'not_a_consumer')),
    ADD COLUMN outcome text CHECK (outcome IN ('monetary_relief', 'non_monetary_relief', 'explanation', 'unresolved')),
    ADD COLUMN closes_at timestamptz,
    ADD COLUMN unfulfilled_reports integer NOT NULL DEFAULT 0 CHECK (unfulfilled_reports BETWEEN 0 AND 10),
    -- The local day the consumer rated the handling: public satisfaction is by the month of rating.
    ADD COLUMN rated_on date;

-- Two new terminal states: invalid (found so by the mediation body) and closed (ended without
-- relief: an accepted rejection, or nobody moved the case by its closing time).
ALTER TABLE complaints DROP CONSTRAINT complaints_state_check;
ALTER TABLE complaints ADD CONSTRAINT complaints_state_check CHECK (state IN ('awaiting_merchant', 'awaiting_platform',
    'proposal_made', 'escalated', 'in_mediation', 'resolution_agreed', 'closed_resolved', 'mediation_failed', 'referred',
    'withdrawn', 'invalid', 'closed'));
ALTER TABLE complaints ADD CONSTRAINT complaints_invalid_has_reason CHECK ((state = 'invalid') = (invalid_reason IS NOT NULL));
INSERT INTO complaint_state_changes (from_state, to_state) VALUES
    ('escalated', 'invalid'),
    ('in_mediation', 'invalid'),
    ('proposal_made', 'closed'),
    ('resolution_agreed', 'closed'),
    ('mediation_failed', 'closed'),
    ('resolution_agreed', 'mediation_failed');

DROP INDEX complaints_open_by_state;
CREATE INDEX complaints_open_by_state ON complaints (state, overdue)
    WHERE state NOT IN ('closed_resolved', 'referred', 'withdrawn', 'invalid', 'closed');
-- The deadline job's search for cases nobody moved by their closing time.
CREATE INDEX complaints_closing ON complaints (closes_at) WHERE closes_at IS NOT NULL;
-- The deadline job's search for cases whose standard deadline passed unanswered: in any state but
-- withdrawn or invalid (those left the figures, or are due by their closing time, below), so that a
-- case escalated, failed and referred before the deadline still becomes due when it passes.
CREATE INDEX complaints_standard_deadlines ON complaints (standard_deadline_at)
    WHERE first_response_at IS NULL AND NOT standard_deadline_passed AND state NOT IN ('withdrawn', 'invalid');

GRANT UPDATE (standard_deadline_passed, invalid_reason, outcome, closes_at, unfulfilled_reports, rated_on) ON complaints TO redress_app;

-- The N-th working day after `start` by the calendar (listed days first, then Monday to Friday):
-- what RedressCore's WorkingCalendar counts, used here only to give earlier cases their standard.
CREATE FUNCTION redress_working_day_after(start date, n integer) RETURNS date
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, public
AS $$
    SELECT d::date FROM generate_series(start + 1, start + n * 3 + 60, interval '1 day') AS d
    LEFT JOIN calendar_days k ON k.day = d::date
    WHERE CASE k.kind WHEN 'holiday' THEN false WHEN 'workday' THEN true ELSE extract(isodow FROM d) < 6 END
    ORDER BY d OFFSET n - 1 LIMIT 1
$$;

-- The end (23:59:59.999, China's time) of the N-th working day after an instant's local day.
CREATE FUNCTION redress_end_of_working_day(instant timestamptz, n integer) RETURNS timestamptz
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, public
AS $$
    SELECT ((redress_working_day_after((instant AT TIME ZONE 'Asia/Shanghai')::date, n) + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
        - interval '1 millisecond'
$$;

-- Cases filed before: the default standard (7 working days, China's time, as 0009 gave them their
-- day), their first response judged by it, and the outcome their agreement implies. Derived values,
-- not anyone's change of the case: its version stays, and the counters are recounted below.
ALTER TABLE complaints DISABLE TRIGGER complaints_state_change;
ALTER TABLE complaints DISABLE TRIGGER complaints_statistics;
UPDATE complaints SET
    standard_deadline_at = ((redress_working_day_after(submitted_on, 7) + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
        - interval '1 millisecond';
UPDATE complaints SET
    first_response_deadline_at = CASE WHEN first_response_at IS NULL THEN first_response_deadline_at ELSE standard_deadline_at END,
    first_response_on_time = CASE WHEN first_response_at IS NULL THEN NULL ELSE first_response_at <= standard_deadline_at END,
    standard_deadline_passed = first_response_at IS NULL AND standard_deadline_at < now(),
    -- An accepted rejection ended the case without relief: closed, with the explanation.
    state = CASE WHEN state = 'closed_resolved' AND NOT relief THEN 'closed' ELSE state END,
    outcome = CASE
        WHEN state <> 'closed_resolved' THEN NULL
        WHEN money THEN 'monetary_relief'
        WHEN relief THEN 'non_monetary_relief'
        ELSE 'explanation'
    END,
    -- Ratings were the last change of a rated case.
    rated_on = CASE WHEN rating IS NOT NULL THEN (updated_at AT TIME ZONE 'Asia/Shanghai')::date END,
    -- The states only the consumer could end close by themselves: the default windows (10, 7 + 10
    -- and 20 working days), counted from this migration, so that a case waiting since long before it
    -- gets its whole window and is not closed at the first pass of the deadline job.
    closes_at = CASE
        WHEN state = 'proposal_made' THEN redress_end_of_working_day(greatest(now(), coalesce(ultimatum_at, now())), 10)
        WHEN state = 'resolution_agreed' THEN redress_end_of_working_day(now(), 17)
        WHEN state = 'mediation_failed' THEN redress_end_of_working_day(now(), 20)
    END
FROM (SELECT id AS agreed_id,
             coalesce((agreed_outcome ->> 'refund')::bigint, 0) > 0 OR coalesce((agreed_outcome ->> 'compensation')::bigint, 0) > 0 AS money,
             coalesce((agreed_outcome ->> 'refund')::bigint, 0) > 0 OR coalesce((agreed_outcome ->> 'compensation')::bigint, 0) > 0
                 OR coalesce(agreed_outcome ->> 'reissue' = 'true', false) AS relief
      FROM complaints) AS agreed
WHERE agreed.agreed_id = complaints.id;
ALTER TABLE complaints ENABLE TRIGGER complaints_state_change;
ALTER TABLE complaints ENABLE TRIGGER complaints_statistics;

-- What one complaint adds to the counters of its platform, day and category, in this order:
-- complaints, counted, due, responded, responded_on_time, awaiting_response, resolved_monetary,
-- resolved_non_monetary, closed_with_explanation, closed_unresolved, escalated, withdrawn, invalid,
-- amount_claimed, amount_refunded, ratings, rating_sum.
--   counted: in the denominators — not invalid, and not withdrawn unanswered before its standard
--            deadline (the platform could not yet be late: a withdrawal then says nothing of it);
--   due:     counted, and answered or past its standard deadline (a case still inside it is not late):
--            marked so by the deadline job while open, or closed after it.
-- Every figure but complaints, withdrawn and invalid is of counted complaints only.
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
        k * coalesce(c.rating, 0)
    ]::bigint[]
    FROM (SELECT (c.state <> 'invalid' AND NOT (c.state = 'withdrawn' AND c.first_response_at IS NULL
                  AND c.standard_deadline_at IS NOT NULL AND c.closed_at <= c.standard_deadline_at))::int AS k) AS counted
$$;

ALTER TABLE platform_daily_statistics RENAME COLUMN resolved TO resolved_monetary;
ALTER TABLE platform_monthly_statistics RENAME COLUMN resolved TO resolved_monetary;
ALTER TABLE platform_daily_statistics
    ADD COLUMN counted bigint NOT NULL DEFAULT 0,
    ADD COLUMN due bigint NOT NULL DEFAULT 0,
    ADD COLUMN resolved_non_monetary bigint NOT NULL DEFAULT 0,
    ADD COLUMN closed_with_explanation bigint NOT NULL DEFAULT 0,
    ADD COLUMN closed_unresolved bigint NOT NULL DEFAULT 0,
    ADD COLUMN invalid bigint NOT NULL DEFAULT 0;
ALTER TABLE platform_monthly_statistics
    ADD COLUMN counted bigint NOT NULL DEFAULT 0,
    ADD COLUMN due bigint NOT NULL DEFAULT 0,
    ADD COLUMN resolved_non_monetary bigint NOT NULL DEFAULT 0,
    ADD COLUMN closed_with_explanation bigint NOT NULL DEFAULT 0,
    ADD COLUMN closed_unresolved bigint NOT NULL DEFAULT 0,
    ADD COLUMN invalid bigint NOT NULL DEFAULT 0;

DROP FUNCTION redress_add_statistics(uuid, date, text, bigint[]);
CREATE FUNCTION redress_add_statistics(platform uuid, day date, category text, delta bigint[]) RETURNS void
    LANGUAGE sql
    SET search_path = pg_catalog, public
AS $$
    INSERT INTO platform_daily_statistics AS s (platform_id, day, category, complaints, counted, due, responded,
        responded_on_time, awaiting_response, resolved_monetary, resolved_non_monetary, closed_with_explanation, closed_unresolved,
        escalated, withdrawn, invalid, amount_claimed, amount_refunded, ratings, rating_sum)
    VALUES (platform, day, category, delta[1], delta[2], delta[3], delta[4], delta[5], delta[6], delta[7], delta[8],
        delta[9], delta[10], delta[11], delta[12], delta[13], delta[14], delta[15], delta[16], delta[17])
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
        rating_sum = s.rating_sum + excluded.rating_sum;
    INSERT INTO platform_monthly_statistics AS s (platform_id, month, category, complaints, counted, due, responded,
        responded_on_time, awaiting_response, resolved_monetary, resolved_non_monetary, closed_with_explanation, closed_unresolved,
        escalated, withdrawn, invalid, amount_claimed, amount_refunded, ratings, rating_sum)
    VALUES (platform, date_trunc('month', day)::date, category, delta[1], delta[2], delta[3], delta[4], delta[5], delta[6],
        delta[7], delta[8], delta[9], delta[10], delta[11], delta[12], delta[13], delta[14], delta[15], delta[16], delta[17])
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
        rating_sum = s.rating_sum + excluded.rating_sum;
$$;

CREATE OR REPLACE FUNCTION complaints_maintain_statistics() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    added bigint[] := redress_statistics_contribution(NEW);
    removed bigint[] := CASE WHEN TG_OP = 'UPDATE' THEN redress_statistics_contribution(OLD)
                             ELSE array_fill(0::bigint, ARRAY[17]) END;
    delta bigint[] := ARRAY(SELECT a - b FROM unnest(added, removed) AS pair (a, b));
BEGIN
    IF delta <> array_fill(0::bigint, ARRAY[17]) THEN
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

-- Ratings by the month they were given, for the public report: a month's cell stops changing when
-- the month ends (a rating is given once, on a case that can no longer change), so that reading the
-- report twice never tells one new rating apart. Ratings by month of submission stay in the rollups
-- above, for the staff who may see each rating anyway.
CREATE TABLE platform_monthly_ratings (
    platform_id uuid NOT NULL REFERENCES platforms (id),
    month date NOT NULL CHECK (extract(day FROM month) = 1),
    ratings bigint NOT NULL DEFAULT 0,
    rating_sum bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (platform_id, month)
);
ALTER TABLE platform_monthly_ratings ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform_monthly_ratings FORCE ROW LEVEL SECURITY;
-- Read only to build the public report (anonymous) and by auditors and operators: never by a
-- platform's staff, who could watch the month in progress fill up.
CREATE POLICY ratings_read ON platform_monthly_ratings FOR SELECT
    USING (redress_actor_role() IN ('anonymous', 'auditor', 'cli', 'system'));
CREATE POLICY statistics_maintain ON platform_monthly_ratings FOR ALL TO CURRENT_USER USING (true) WITH CHECK (true);
GRANT SELECT ON platform_monthly_ratings TO redress_app;
INSERT INTO platform_monthly_ratings (platform_id, month, ratings, rating_sum)
SELECT platform_id, date_trunc('month', rated_on)::date, count(*), sum(rating) FROM complaints WHERE rated_on IS NOT NULL GROUP BY 1, 2;

-- The counters recounted under the new definitions.
DELETE FROM platform_daily_statistics;
DELETE FROM platform_monthly_statistics;
SELECT redress_add_statistics(platform_id, submitted_on, category, redress_statistics_contribution(c)) FROM complaints c;
