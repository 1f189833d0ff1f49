-- 0009: statistics. Per platform, per local day and per month of submission, per category: counters
-- that a trigger keeps in the same transaction as every change of a complaint, so that statistics
-- and public reports read a few thousand rows however many complaints there are, and are never
-- stale. Docs/metrics.md defines every counter.

-- The local day of submission (in the deployment's time zone), fixed at intake: the periods of the
-- statistics are local days, as the deadlines are. Existing rows are given China's day.
ALTER TABLE complaints ADD COLUMN submitted_on date;
UPDATE complaints SET submitted_on = (submitted_at AT TIME ZONE 'Asia/Shanghai')::date WHERE submitted_on IS NULL;
ALTER TABLE complaints ALTER COLUMN submitted_on SET NOT NULL;

-- What one complaint adds to the counters of its platform, day and category, in this order:
-- complaints, responded, responded_on_time, awaiting_response, resolved, escalated, withdrawn,
-- amount_claimed, amount_refunded, ratings, rating_sum. The rollups always equal the sum of this over
-- the complaints (a test recomputes them), because the trigger adds the difference of every change.
CREATE FUNCTION redress_statistics_contribution(c complaints) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, public
AS $$
    SELECT ARRAY[
        1,
        (c.first_response_at IS NOT NULL)::int,
        (c.first_response_on_time IS TRUE)::int,
        (c.first_response_at IS NULL AND c.state IN ('awaiting_merchant', 'awaiting_platform'))::int,
        (c.state = 'closed_resolved')::int,
        (c.escalated_at IS NOT NULL)::int,
        (c.state = 'withdrawn')::int,
        c.refund_claimed,
        CASE WHEN c.state = 'closed_resolved' THEN coalesce(c.agreed_refund, 0) ELSE 0 END,
        (c.rating IS NOT NULL)::int,
        coalesce(c.rating, 0)
    ]::bigint[]
$$;

CREATE TABLE platform_daily_statistics (
    platform_id uuid NOT NULL REFERENCES platforms (id),
    day date NOT NULL,
    category text NOT NULL,
    complaints bigint NOT NULL DEFAULT 0,
    responded bigint NOT NULL DEFAULT 0,
    responded_on_time bigint NOT NULL DEFAULT 0,
    awaiting_response bigint NOT NULL DEFAULT 0,
    resolved bigint NOT NULL DEFAULT 0,
    escalated bigint NOT NULL DEFAULT 0,
    withdrawn bigint NOT NULL DEFAULT 0,
    amount_claimed bigint NOT NULL DEFAULT 0,
    amount_refunded bigint NOT NULL DEFAULT 0,
    ratings bigint NOT NULL DEFAULT 0,
    rating_sum bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (platform_id, day, category)
);
-- Every platform's days of a period (the days around whole months in a report).
CREATE INDEX platform_daily_statistics_by_day ON platform_daily_statistics (day);

-- The same by month (`month` is its first day): a year of all platforms is a few thousand rows.
CREATE TABLE platform_monthly_statistics (LIKE platform_daily_statistics INCLUDING DEFAULTS);
ALTER TABLE platform_monthly_statistics RENAME COLUMN day TO month;
ALTER TABLE platform_monthly_statistics ADD PRIMARY KEY (platform_id, month, category);
ALTER TABLE platform_monthly_statistics ADD FOREIGN KEY (platform_id) REFERENCES platforms (id);
ALTER TABLE platform_monthly_statistics ADD CHECK (extract(day FROM month) = 1);

-- First-response times, one row per answered complaint: medians are not sums, so they are computed
-- from these (a platform's year is an index range of some thousand rows). No personal data.
CREATE TABLE complaint_response_times (
    complaint_id uuid PRIMARY KEY REFERENCES complaints (id),
    platform_id uuid NOT NULL REFERENCES platforms (id),
    submitted_on date NOT NULL,
    category text NOT NULL,
    seconds double precision NOT NULL
);
CREATE INDEX complaint_response_times_by_platform ON complaint_response_times (platform_id, submitted_on) INCLUDE (category, seconds);

CREATE FUNCTION redress_add_statistics(platform uuid, day date, category text, delta bigint[]) RETURNS void
    LANGUAGE sql
    SET search_path = pg_catalog, public
AS $$
    INSERT INTO platform_daily_statistics AS s (platform_id, day, category, complaints, responded, responded_on_time,
        awaiting_response, resolved, escalated, withdrawn, amount_claimed, amount_refunded, ratings, rating_sum)
    VALUES (platform, day, category, delta[1], delta[2], delta[3], delta[4], delta[5], delta[6], delta[7], delta[8],
        delta[9], delta[10], delta[11])
    ON CONFLICT (platform_id, day, category) DO UPDATE SET
        complaints = s.complaints + excluded.complaints, responded = s.responded + excluded.responded,
        responded_on_time = s.responded_on_time + excluded.responded_on_time,
        awaiting_response = s.awaiting_response + excluded.awaiting_response, resolved = s.resolved + excluded.resolved,
        escalated = s.escalated + excluded.escalated, withdrawn = s.withdrawn + excluded.withdrawn,
        amount_claimed = s.amount_claimed + excluded.amount_claimed,
        amount_refunded = s.amount_refunded + excluded.amount_refunded, ratings = s.ratings + excluded.ratings,
        rating_sum = s.rating_sum + excluded.rating_sum;
    INSERT INTO platform_monthly_statistics AS s (platform_id, month, category, complaints, responded, responded_on_time,
        awaiting_response, resolved, escalated, withdrawn, amount_claimed, amount_refunded, ratings, rating_sum)
    VALUES (platform, date_trunc('month', day)::date, category, delta[1], delta[2], delta[3], delta[4], delta[5],
        delta[6], delta[7], delta[8], delta[9], delta[10], delta[11])
    ON CONFLICT (platform_id, month, category) DO UPDATE SET
        complaints = s.complaints + excluded.complaints, responded = s.responded + excluded.responded,
        responded_on_time = s.responded_on_time + excluded.responded_on_time,
        awaiting_response = s.awaiting_response + excluded.awaiting_response, resolved = s.resolved + excluded.resolved,
        escalated = s.escalated + excluded.escalated, withdrawn = s.withdrawn + excluded.withdrawn,
        amount_claimed = s.amount_claimed + excluded.amount_claimed,
        amount_refunded = s.amount_refunded + excluded.amount_refunded, ratings = s.ratings + excluded.ratings,
        rating_sum = s.rating_sum + excluded.rating_sum;
$$;

-- Runs as the schema's owner: nobody who files or answers a complaint may write a counter directly.
CREATE FUNCTION complaints_maintain_statistics() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    added bigint[] := redress_statistics_contribution(NEW);
    removed bigint[] := CASE WHEN TG_OP = 'UPDATE' THEN redress_statistics_contribution(OLD)
                             ELSE array_fill(0::bigint, ARRAY[11]) END;
    delta bigint[] := ARRAY(SELECT a - b FROM unnest(added, removed) AS pair (a, b));
BEGIN
    IF delta <> array_fill(0::bigint, ARRAY[11]) THEN
        PERFORM redress_add_statistics(NEW.platform_id, NEW.submitted_on, NEW.category, delta);
    END IF;
    IF NEW.first_response_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.first_response_at IS NULL) THEN
        INSERT INTO complaint_response_times (complaint_id, platform_id, submitted_on, category, seconds)
        VALUES (NEW.id, NEW.platform_id, NEW.submitted_on, NEW.category,
                extract(epoch FROM NEW.first_response_at - NEW.submitted_at));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER complaints_statistics AFTER INSERT OR UPDATE ON complaints
    FOR EACH ROW EXECUTE FUNCTION complaints_maintain_statistics();

-- Counters of the complaints that exist already.
SELECT redress_add_statistics(platform_id, submitted_on, category, redress_statistics_contribution(c)) FROM complaints c;
INSERT INTO complaint_response_times (complaint_id, platform_id, submitted_on, category, seconds)
SELECT id, platform_id, submitted_on, category, extract(epoch FROM first_response_at - submitted_at)
FROM complaints WHERE first_response_at IS NOT NULL;

-- Who reads statistics: a platform's staff their own platform's; mediation bodies, auditors, the
-- command line and the anonymous public report every platform's (the public report withholds the
-- rates of small numbers itself). Consumers and merchants read the public report. Only the owner,
-- through the trigger above, writes.
ALTER TABLE platform_daily_statistics ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform_daily_statistics FORCE ROW LEVEL SECURITY;
ALTER TABLE platform_monthly_statistics ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform_monthly_statistics FORCE ROW LEVEL SECURITY;
ALTER TABLE complaint_response_times ENABLE ROW LEVEL SECURITY;
ALTER TABLE complaint_response_times FORCE ROW LEVEL SECURITY;

CREATE FUNCTION redress_may_read_statistics(platform uuid) RETURNS boolean
    LANGUAGE sql STABLE
AS $$
    SELECT redress_actor_role() IN ('anonymous', 'mediator', 'mediation_lead', 'auditor', 'cli', 'system')
        OR (redress_actor_role() IN ('platform_staff', 'platform_admin') AND platform = redress_actor_org())
$$;
CREATE POLICY statistics_read ON platform_daily_statistics FOR SELECT USING (redress_may_read_statistics(platform_id));
CREATE POLICY statistics_read ON platform_monthly_statistics FOR SELECT USING (redress_may_read_statistics(platform_id));
CREATE POLICY statistics_read ON complaint_response_times FOR SELECT USING (redress_may_read_statistics(platform_id));
CREATE POLICY statistics_maintain ON platform_daily_statistics FOR ALL TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY statistics_maintain ON platform_monthly_statistics FOR ALL TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY statistics_maintain ON complaint_response_times FOR ALL TO CURRENT_USER USING (true) WITH CHECK (true);

GRANT SELECT ON platform_daily_statistics, platform_monthly_statistics, complaint_response_times TO redress_app;
