-- 0042: a common word is found by walking the caller's scope from its newest cases instead of through
-- the index, and the matches are given newest first. A GIN index answers only with a bitmap of every
-- match: for 卡密 among a mediation body's 95,000 cases (a third hold it) that bitmap took 14 ms at a
-- million complaints before the first candidate was read, and the candidates it gave were the oldest
-- (the heap's order). Walking the scope's own index on the submission time from the newest and
-- checking each case's bigrams stops after a few hundred cases when a third of them match (3 ms). For
-- a rare word the walk would read the whole scope, so a sample of the scope's newest cases decides.

-- A thread entry's bigrams carry who may read it, so that candidates and their counts come only from
-- entries the caller may read (an internal note of another organisation must not make a case a match,
-- nor move a count), and entries are looked up by their case when a case's scope moves.
ALTER TABLE message_search ADD COLUMN visibility text, ADD COLUMN author_organization_id uuid;
SELECT set_config('redress.role', 'system', true);
ALTER TABLE complaint_messages NO FORCE ROW LEVEL SECURITY;
UPDATE message_search s SET visibility = m.visibility, author_organization_id = m.author_organization_id
FROM complaint_messages m WHERE m.id = s.message_id;
ALTER TABLE complaint_messages FORCE ROW LEVEL SECURITY;
SELECT set_config('redress.role', '', true);
ALTER TABLE message_search ALTER COLUMN visibility SET NOT NULL;
CREATE INDEX message_search_by_complaint ON message_search (complaint_id);

CREATE OR REPLACE FUNCTION redress_index_message(message uuid, bigrams text[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    -- Its author, or the operator's command line writing a demonstration world in people's names.
    INSERT INTO message_search (message_id, complaint_id, grams, platform_id, merchant_id, mediation_body_id, visibility, author_organization_id)
    SELECT m.id, m.complaint_id, bigrams, c.platform_id, c.merchant_id, c.mediation_body_id, m.visibility, m.author_organization_id
    FROM complaint_messages m JOIN complaints c ON c.id = m.complaint_id
    WHERE m.id = message AND (m.author_id = redress_actor_id() OR redress_actor_role() = 'cli');
    IF NOT FOUND THEN
        RAISE EXCEPTION 'a thread entry is indexed by its author as it is written' USING ERRCODE = 'insufficient_privilege';
    END IF;
END
$$;

-- Up to `most` cases of the caller's own scope (exactly one of platform, merchant and body given, and
-- it must be the caller's organisation) whose own texts, or one of whose thread entries the caller may
-- read, hold every bigram: ids and submission times only, read by the service under row-level
-- security. The complaints' own texts: the newest 32 cases of the scope are checked first, and when at
-- least 4 of them match (and `walk` is not 0), the scope's newest `walk` cases are walked for up to
-- `most` matches; a walk that reads them all without finding `most` gives way to the index. The index
-- gives its matches in storage order: up to `most` of them, so a query that matches more is given an
-- arbitrary `most` (the service says so). Thread entries always come from the index (a walk would read
-- every entry of every case it passes, however long a thread a consumer writes): up to `most` cases.
-- Each statement is planned for its values (EXECUTE), so that its plan names the scope's index.
CREATE FUNCTION redress_search_newest(bigrams text[], platform uuid, merchant uuid, body uuid, most int, walk int)
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
    -- The newest $3 cases of the scope whose own texts hold the bigrams, at most $4.
    newest_matches text := format($walk$
        SELECT c.id, c.submitted_at FROM (
            SELECT c.id, c.submitted_at FROM complaints c WHERE c.%1$I = $1 ORDER BY c.submitted_at DESC, c.id DESC LIMIT $3
        ) c
        WHERE EXISTS (SELECT 1 FROM complaint_search s WHERE s.complaint_id = c.id AND s.grams @> $2)
        ORDER BY c.submitted_at DESC, c.id DESC LIMIT $4 $walk$, scope_column);
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
    IF walk > 0 THEN
        EXECUTE format('SELECT count(*) FROM (%s) c', newest_matches) INTO sampled USING scope_value, bigrams, 32, 32;
    END IF;
    IF sampled >= 4 THEN
        EXECUTE format('SELECT array_agg(c.id), array_agg(c.submitted_at) FROM (%s) c', newest_matches)
        INTO walked, walked_at USING scope_value, bigrams, walk, most;
        IF cardinality(walked) < most THEN
            EXECUTE format('SELECT count(*) FROM (SELECT FROM complaints c WHERE c.%I = $1 LIMIT $2) c', scope_column)
            INTO scope_size USING scope_value, walk + 1;
        END IF;
    END IF;
    IF walked IS NOT NULL AND (cardinality(walked) >= most OR scope_size <= walk) THEN
        RETURN QUERY SELECT w.id, w.at FROM unnest(walked, walked_at) AS w(id, at);
    ELSE
        RETURN QUERY EXECUTE format($index$
            SELECT c.id, c.submitted_at FROM (SELECT s.complaint_id FROM complaint_search s WHERE s.%1$I = $1 AND s.grams @> $2 LIMIT $3) h
            JOIN complaints c ON c.id = h.complaint_id $index$, scope_column)
        USING scope_value, bigrams, most;
    END IF;
    RETURN QUERY EXECUTE format($entries$
        SELECT c.id, c.submitted_at FROM (
            SELECT DISTINCT m.complaint_id FROM message_search m
            WHERE m.%1$I = $1 AND m.grams @> $2 AND (m.visibility = 'parties' OR m.author_organization_id = redress_actor_org())
            LIMIT $3
        ) h JOIN complaints c ON c.id = h.complaint_id $entries$, scope_column)
    USING scope_value, bigrams, most;
END
$$;
REVOKE ALL ON FUNCTION redress_search_newest(text[], uuid, uuid, uuid, int, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION redress_search_newest(text[], uuid, uuid, uuid, int, int) TO redress_app;
-- The unscoped, unbounded lookup of the first search is no longer the service's to call.
REVOKE EXECUTE ON FUNCTION redress_search_hits(text[]) FROM redress_app;
