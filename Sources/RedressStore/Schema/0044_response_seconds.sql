-- First-response times again, as arrays of whole seconds per platform, category and submission day,
-- and per platform, category and submission month. A median needs every value of its group; reading
-- a platform's year as 48 monthly arrays (and selecting the middle in the service) costs a fraction
-- of reading one row per answered complaint and sorting them once per grouping. Days serve the ends
-- of a period that are not whole months, as for the counters. `complaint_response_times` stays the
-- record these are derived from, row by row, by the trigger below.
--
-- An array holds at most 1,024 values: appending rewrites the array, so a day or month on which one
-- platform is answered thousands of times in one category (a collapse) fills further parts instead of
-- making every answer rewrite a longer array.
CREATE TABLE platform_response_seconds (
    platform_id uuid NOT NULL REFERENCES platforms (id),
    day date NOT NULL,
    category text NOT NULL,
    part integer NOT NULL CHECK (part >= 0),
    seconds integer[] NOT NULL CHECK (cardinality(seconds) BETWEEN 1 AND 1024 AND array_ndims(seconds) = 1),
    PRIMARY KEY (platform_id, day, category, part)
);
CREATE TABLE platform_monthly_response_seconds (
    platform_id uuid NOT NULL REFERENCES platforms (id),
    month date NOT NULL CHECK (extract(day FROM month) = 1),
    category text NOT NULL,
    part integer NOT NULL CHECK (part >= 0),
    seconds integer[] NOT NULL CHECK (cardinality(seconds) BETWEEN 1 AND 1024 AND array_ndims(seconds) = 1),
    PRIMARY KEY (platform_id, month, category, part)
);

CREATE FUNCTION redress_add_response_seconds(platform uuid, on_day date, in_category text, added integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
AS $$
DECLARE
    in_month date := date_trunc('month', on_day)::date;
    next_part integer;
BEGIN
    -- A full part refuses the update (no row affected) and the next part is tried; a concurrent
    -- writer of the same part waits for the other's row as with any upsert.
    SELECT coalesce(max(part), 0) INTO next_part FROM platform_response_seconds
    WHERE platform_id = platform AND day = on_day AND category = in_category;
    LOOP
        INSERT INTO platform_response_seconds AS r (platform_id, day, category, part, seconds)
        VALUES (platform, on_day, in_category, next_part, ARRAY[added])
        ON CONFLICT (platform_id, day, category, part) DO UPDATE SET seconds = r.seconds || excluded.seconds
            WHERE cardinality(r.seconds) < 1024;
        EXIT WHEN FOUND;
        next_part := next_part + 1;
    END LOOP;
    SELECT coalesce(max(part), 0) INTO next_part FROM platform_monthly_response_seconds
    WHERE platform_id = platform AND month = in_month AND category = in_category;
    LOOP
        INSERT INTO platform_monthly_response_seconds AS r (platform_id, month, category, part, seconds)
        VALUES (platform, in_month, in_category, next_part, ARRAY[added])
        ON CONFLICT (platform_id, month, category, part) DO UPDATE SET seconds = r.seconds || excluded.seconds
            WHERE cardinality(r.seconds) < 1024;
        EXIT WHEN FOUND;
        next_part := next_part + 1;
    END LOOP;
END
$$;

CREATE FUNCTION complaint_response_times_rollup() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    PERFORM redress_add_response_seconds(NEW.platform_id, NEW.submitted_on, NEW.category,
                                         least(greatest(floor(NEW.seconds), 0), 2147483647)::integer);
    RETURN NULL;
END
$$;
CREATE TRIGGER complaint_response_times_rollup AFTER INSERT ON complaint_response_times
    FOR EACH ROW EXECUTE FUNCTION complaint_response_times_rollup();
REVOKE ALL ON FUNCTION redress_add_response_seconds(uuid, date, text, integer), complaint_response_times_rollup() FROM PUBLIC;

INSERT INTO platform_response_seconds (platform_id, day, category, part, seconds)
SELECT platform_id, submitted_on, category, (ordinal - 1) / 1024, array_agg(whole ORDER BY ordinal)
FROM (SELECT platform_id, submitted_on, category, least(greatest(floor(seconds), 0), 2147483647)::integer AS whole,
             row_number() OVER (PARTITION BY platform_id, submitted_on, category ORDER BY complaint_id) AS ordinal
      FROM complaint_response_times) t
GROUP BY platform_id, submitted_on, category, (ordinal - 1) / 1024;
INSERT INTO platform_monthly_response_seconds (platform_id, month, category, part, seconds)
SELECT platform_id, month, category, (ordinal - 1) / 1024, array_agg(whole ORDER BY ordinal)
FROM (SELECT platform_id, date_trunc('month', submitted_on)::date AS month, category,
             least(greatest(floor(seconds), 0), 2147483647)::integer AS whole,
             row_number() OVER (PARTITION BY platform_id, date_trunc('month', submitted_on), category ORDER BY complaint_id) AS ordinal
      FROM complaint_response_times) t
GROUP BY platform_id, month, category, (ordinal - 1) / 1024;

ALTER TABLE platform_response_seconds ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform_response_seconds FORCE ROW LEVEL SECURITY;
ALTER TABLE platform_monthly_response_seconds ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform_monthly_response_seconds FORCE ROW LEVEL SECURITY;
CREATE POLICY statistics_read ON platform_response_seconds FOR SELECT USING (redress_may_read_statistics(platform_id));
CREATE POLICY statistics_read ON platform_monthly_response_seconds FOR SELECT USING (redress_may_read_statistics(platform_id));
CREATE POLICY statistics_maintain ON platform_response_seconds FOR ALL TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY statistics_maintain ON platform_monthly_response_seconds FOR ALL TO CURRENT_USER USING (true) WITH CHECK (true);
GRANT SELECT ON platform_response_seconds, platform_monthly_response_seconds TO redress_app;
