-- 0042: a search's candidates are the newest cases that hold its words, and a common word is found by
-- walking the scope's cases from the newest instead of through the index. A GIN index answers only
-- with a bitmap of every match: for 卡密 among a mediation body's 95,000 cases (a third hold it) that
-- bitmap took 14 ms at a million complaints before the first candidate was read, and the candidates it
-- gave were the oldest (the heap's order). Walking the scope's own index on the submission time from
-- the newest and checking each case's bigrams stops after a few hundred cases when a third of them
-- match (3 ms). For a rare word the walk would read the whole scope, so a sample of the scope's newest
-- cases decides between the two.

-- Thread entries are looked up by their case: by the walk, and when a case's scope moves.
CREATE INDEX message_search_by_complaint ON message_search (complaint_id);

-- Up to `most` cases of a scope (NULL: none; at most one of the three given) whose own texts, or one
-- of whose thread entries, hold every bigram, the newest first: ids and submission times only, read by
-- the service under row-level security. The newest 32 cases of the scope are checked first: when an
-- eighth of them match, the scope's newest `walk` cases are walked (`bounded` says whether older cases
-- were left unread); otherwise the index answers, completely up to `most` from each kind of text. Each
-- statement is planned for its values (EXECUTE), so that the plan names the scope's index.
CREATE FUNCTION redress_search_newest(bigrams text[], platform uuid, merchant uuid, body uuid, most int, walk int)
    RETURNS TABLE (complaint_id uuid, submitted_at timestamptz, bounded boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    -- Parallel workers cost more to start than these statements take, and the cores serve other requests.
    SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    scope_column text := CASE WHEN platform IS NOT NULL THEN 'platform_id' WHEN merchant IS NOT NULL THEN 'merchant_id'
                              WHEN body IS NOT NULL THEN 'mediation_body_id' END;
    scope_value uuid := coalesce(platform, merchant, body);
    -- The scope's condition on each table's alias.
    case_in_scope text := CASE WHEN scope_column IS NULL THEN 'true' ELSE format('c.%I = $1', scope_column) END;
    text_in_scope text := CASE WHEN scope_column IS NULL THEN 'true' ELSE format('s.%I = $1', scope_column) END;
    entry_in_scope text := CASE WHEN scope_column IS NULL THEN 'true' ELSE format('m.%I = $1', scope_column) END;
    -- The newest $3 cases of the scope that hold the bigrams, at most $4.
    newest_matches text := format($walk$
        SELECT c.id, c.submitted_at FROM (
            SELECT c.id, c.submitted_at FROM complaints c WHERE %1$s ORDER BY c.submitted_at DESC, c.id DESC LIMIT $3
        ) c
        WHERE EXISTS (SELECT 1 FROM complaint_search s WHERE s.complaint_id = c.id AND s.grams @> $2)
           OR EXISTS (SELECT 1 FROM message_search m WHERE m.complaint_id = c.id AND m.grams @> $2)
        ORDER BY c.submitted_at DESC, c.id DESC LIMIT $4 $walk$, case_in_scope);
    sampled int;
    walked uuid[];
    walked_at timestamptz[];
    scope_size int;
BEGIN
    IF most NOT BETWEEN 1 AND 10000 OR walk NOT BETWEEN 32 AND 10000 THEN
        RAISE EXCEPTION 'a search reads between 32 and 10,000 cases' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('SELECT count(*) FROM (%s) c', newest_matches) INTO sampled USING scope_value, bigrams, 32, 32;
    IF sampled >= 4 THEN
        EXECUTE format('SELECT array_agg(c.id), array_agg(c.submitted_at) FROM (%s) c', newest_matches)
        INTO walked, walked_at USING scope_value, bigrams, walk, most;
        IF cardinality(walked) < most THEN
            EXECUTE format('SELECT count(*) FROM (SELECT FROM complaints c WHERE %s LIMIT $2) c', case_in_scope)
            INTO scope_size USING scope_value, walk + 1;
        END IF;
        RETURN QUERY SELECT w.id, w.at, coalesce(scope_size > walk, false) FROM unnest(walked, walked_at) AS w(id, at);
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format($index$
        SELECT c.id, c.submitted_at, false FROM (
            (SELECT s.complaint_id FROM complaint_search s WHERE %1$s AND s.grams @> $2 LIMIT $3)
            UNION
            (SELECT m.complaint_id FROM message_search m WHERE %2$s AND m.grams @> $2 LIMIT $3)
        ) h JOIN complaints c ON c.id = h.complaint_id
        ORDER BY c.submitted_at DESC, c.id DESC $index$, text_in_scope, entry_in_scope)
    USING scope_value, bigrams, most;
END
$$;
REVOKE ALL ON FUNCTION redress_search_newest(text[], uuid, uuid, uuid, int, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION redress_search_newest(text[], uuid, uuid, uuid, int, int) TO redress_app;
