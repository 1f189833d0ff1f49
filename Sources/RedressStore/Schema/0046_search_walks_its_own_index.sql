-- 0046: the walk for a common word reads the scope's newest indexed texts directly, through an index
-- of the search table by scope and submission time, instead of walking the complaints' index and
-- looking up each case's texts by its id (at a million complaints, 521 cases walked for 200 matches
-- read 2,546 buffers). The submission time is copied as the texts are indexed; it never changes. A
-- case whose texts were forgotten (erased or anonymised) is no longer walked past at all, and the
-- scope's size that decides whether a walk read it whole is counted in the same table.
ALTER TABLE complaint_search ADD COLUMN submitted_at timestamptz;
SELECT set_config('redress.role', 'system', true);
UPDATE complaint_search s SET submitted_at = c.submitted_at FROM complaints c WHERE c.id = s.complaint_id;
SELECT set_config('redress.role', '', true);
ALTER TABLE complaint_search ALTER COLUMN submitted_at SET NOT NULL;
CREATE INDEX complaint_search_platform_newest ON complaint_search (platform_id, submitted_at DESC, complaint_id DESC);
CREATE INDEX complaint_search_merchant_newest ON complaint_search (merchant_id, submitted_at DESC, complaint_id DESC)
    WHERE merchant_id IS NOT NULL;
CREATE INDEX complaint_search_body_newest ON complaint_search (mediation_body_id, submitted_at DESC, complaint_id DESC)
    WHERE mediation_body_id IS NOT NULL;

CREATE OR REPLACE FUNCTION redress_index_complaint(complaint uuid, bigrams text[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    INSERT INTO complaint_search (complaint_id, grams, platform_id, merchant_id, mediation_body_id, submitted_at)
    SELECT c.id, bigrams, c.platform_id, c.merchant_id, c.mediation_body_id, c.submitted_at FROM complaints c
    WHERE c.id = complaint AND (c.consumer_id = redress_actor_id() OR redress_actor_role() = 'cli');
    IF NOT FOUND THEN
        RAISE EXCEPTION 'a complaint is indexed by its consumer as it is filed' USING ERRCODE = 'insufficient_privilege';
    END IF;
END
$$;

-- The walk as before, over the search table's own index. The statements every search runs (the sample,
-- the walk, the thread entries) are written out for each kind of scope instead of built as text and
-- planned anew on every call (EXECUTE), so that PostgreSQL keeps their plans for the connection; thread
-- entries now come first in the function's output (the caller orders and deduplicates).
CREATE OR REPLACE FUNCTION redress_search_newest(bigrams text[], platform uuid, merchant uuid, body uuid, most int, walk int)
    RETURNS TABLE (complaint_id uuid, submitted_at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    -- Parallel workers cost more to start than these statements take, and the cores serve other requests.
    SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    scope_column text := CASE WHEN platform IS NOT NULL THEN 'platform_id' WHEN merchant IS NOT NULL THEN 'merchant_id'
                              WHEN body IS NOT NULL THEN 'mediation_body_id' END;
    scope_value uuid := coalesce(platform, merchant, body);
    sampled int;
    walked uuid[];
    walked_at timestamptz[];
    scope_size int;
BEGIN
    IF num_nonnulls(platform, merchant, body) <> 1 OR scope_value IS DISTINCT FROM redress_actor_org() THEN
        RAISE EXCEPTION 'a search reads the caller''s own scope' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF most IS NULL OR walk IS NULL OR most NOT BETWEEN 1 AND 10000 OR (walk <> 0 AND walk NOT BETWEEN 32 AND 10000) THEN
        RAISE EXCEPTION 'a search looks for 1 to 10,000 matches and walks 0 or 32 to 10,000 cases' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The statements that run for every search are written out for each kind of scope, so that their
    -- plans are kept (the function's statements are planned once per connection); the scope's size and
    -- the index are read only for a rare word, planned for their values.
    IF platform IS NOT NULL THEN
        IF walk > 0 THEN
            SELECT count(*) INTO sampled FROM (
                SELECT s.grams FROM complaint_search s WHERE s.platform_id = platform ORDER BY s.submitted_at DESC, s.complaint_id DESC LIMIT 32
            ) s WHERE s.grams @> bigrams;
        END IF;
        IF sampled >= 4 THEN
            SELECT array_agg(s.complaint_id), array_agg(s.submitted_at) INTO walked, walked_at FROM (
                SELECT s.complaint_id, s.submitted_at FROM (
                    SELECT s.complaint_id, s.submitted_at, s.grams FROM complaint_search s
                    WHERE s.platform_id = platform ORDER BY s.submitted_at DESC, s.complaint_id DESC LIMIT walk
                ) s WHERE s.grams @> bigrams ORDER BY s.submitted_at DESC, s.complaint_id DESC LIMIT most
            ) s;
        END IF;
        RETURN QUERY SELECT c.id, c.submitted_at FROM (
            SELECT DISTINCT m.complaint_id FROM message_search m
            WHERE m.platform_id = platform AND m.grams @> bigrams AND (m.visibility = 'parties' OR m.author_organization_id = redress_actor_org())
            LIMIT most
        ) h JOIN complaints c ON c.id = h.complaint_id;
    ELSIF merchant IS NOT NULL THEN
        IF walk > 0 THEN
            SELECT count(*) INTO sampled FROM (
                SELECT s.grams FROM complaint_search s WHERE s.merchant_id = merchant ORDER BY s.submitted_at DESC, s.complaint_id DESC LIMIT 32
            ) s WHERE s.grams @> bigrams;
        END IF;
        IF sampled >= 4 THEN
            SELECT array_agg(s.complaint_id), array_agg(s.submitted_at) INTO walked, walked_at FROM (
                SELECT s.complaint_id, s.submitted_at FROM (
                    SELECT s.complaint_id, s.submitted_at, s.grams FROM complaint_search s
                    WHERE s.merchant_id = merchant ORDER BY s.submitted_at DESC, s.complaint_id DESC LIMIT walk
                ) s WHERE s.grams @> bigrams ORDER BY s.submitted_at DESC, s.complaint_id DESC LIMIT most
            ) s;
        END IF;
        RETURN QUERY SELECT c.id, c.submitted_at FROM (
            SELECT DISTINCT m.complaint_id FROM message_search m
            WHERE m.merchant_id = merchant AND m.grams @> bigrams AND (m.visibility = 'parties' OR m.author_organization_id = redress_actor_org())
            LIMIT most
        ) h JOIN complaints c ON c.id = h.complaint_id;
    ELSE
        IF walk > 0 THEN
            SELECT count(*) INTO sampled FROM (
                SELECT s.grams FROM complaint_search s WHERE s.mediation_body_id = body ORDER BY s.submitted_at DESC, s.complaint_id DESC LIMIT 32
            ) s WHERE s.grams @> bigrams;
        END IF;
        IF sampled >= 4 THEN
            SELECT array_agg(s.complaint_id), array_agg(s.submitted_at) INTO walked, walked_at FROM (
                SELECT s.complaint_id, s.submitted_at FROM (
                    SELECT s.complaint_id, s.submitted_at, s.grams FROM complaint_search s
                    WHERE s.mediation_body_id = body ORDER BY s.submitted_at DESC, s.complaint_id DESC LIMIT walk
                ) s WHERE s.grams @> bigrams ORDER BY s.submitted_at DESC, s.complaint_id DESC LIMIT most
            ) s;
        END IF;
        RETURN QUERY SELECT c.id, c.submitted_at FROM (
            SELECT DISTINCT m.complaint_id FROM message_search m
            WHERE m.mediation_body_id = body AND m.grams @> bigrams AND (m.visibility = 'parties' OR m.author_organization_id = redress_actor_org())
            LIMIT most
        ) h JOIN complaints c ON c.id = h.complaint_id;
    END IF;
    IF sampled >= 4 AND cardinality(walked) < most THEN
        EXECUTE format('SELECT count(*) FROM (SELECT FROM complaint_search s WHERE s.%I = $1 LIMIT $2) s', scope_column)
        INTO scope_size USING scope_value, walk + 1;
    END IF;
    IF walked IS NOT NULL AND (cardinality(walked) >= most OR scope_size <= walk) THEN
        RETURN QUERY SELECT w.id, w.at FROM unnest(walked, walked_at) AS w(id, at);
    ELSE
        RETURN QUERY EXECUTE format($index$
            SELECT c.id, c.submitted_at FROM (SELECT s.complaint_id FROM complaint_search s WHERE s.%1$I = $1 AND s.grams @> $2 LIMIT $3) h
            JOIN complaints c ON c.id = h.complaint_id $index$, scope_column)
        USING scope_value, bigrams, most;
    END IF;
END
$$;
