-- 0041: a search looks for its words among the cases of the caller's scope (a platform's, a
-- merchant's, a mediation body's) in one index scan, and an order number by its 4-grams. With the bigrams indexed alone, a common word (卡密) made the
-- database collect every case in the country that holds it before the scope was applied: 240 ms at
-- 100,000 complaints, ten times that at a million. The scope's columns now sit beside the bigrams in
-- one multicolumn GIN index (btree_gin indexes the ids), so the index intersects the scope's posting
-- list with the words' and reads only the cases in both.
CREATE EXTENSION IF NOT EXISTS btree_gin;

ALTER TABLE complaint_search ADD COLUMN platform_id uuid, ADD COLUMN merchant_id uuid, ADD COLUMN mediation_body_id uuid;
ALTER TABLE message_search ADD COLUMN platform_id uuid, ADD COLUMN merchant_id uuid, ADD COLUMN mediation_body_id uuid;

-- Stretches of ASCII letters and digits that hold a digit and are 4 to 64 long (order numbers, dates,
-- phone numbers) are indexed by their 4-grams too, the first 100 of a text: their bigrams are few (ten
-- digits make a hundred) and each is held by most cases, so a query made of them read long posting
-- lists (an order number took 36 ms at p50 at 100,000 complaints). A query looks such a stretch up by
-- its 4-grams alone (RedressCore's SearchText, the same rules). White space and punctuation are named
-- by code point, as the service names them, whatever the database's locale.
CREATE OR REPLACE FUNCTION redress_search_grams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT g ORDER BY g), '{}') FROM (
        SELECT ch || lead(ch) OVER (ORDER BY i) AS g
        FROM unnest(regexp_split_to_array(redress_search_normalise(t), '')) WITH ORDINALITY AS c(ch, i)
        UNION ALL
        SELECT substr(s.stretch, k, 4)
        FROM (
            SELECT r.m[1] AS stretch
            FROM regexp_matches(redress_search_normalise(t), '[a-z0-9]+', 'g') WITH ORDINALITY AS r(m, n)
            WHERE length(r.m[1]) BETWEEN 4 AND 64 AND r.m[1] ~ '[0-9]'
            ORDER BY r.n LIMIT 100
        ) s CROSS JOIN LATERAL generate_series(1, length(s.stretch) - 3) AS k
    ) grams WHERE g !~ '[\x09-\x0d\x20-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e\u2000-\u206f\u3000-\u303f\uff01-\uff0f]'
$$;

DROP INDEX complaint_search_grams;
DROP INDEX message_search_grams;
-- The texts already indexed, again, with their scope (as the system, which reads every complaint and the
-- directory; the thread is nobody's to read whole, so its row-level security is lifted for this
-- transaction only).
SELECT set_config('redress.role', 'system', true);
UPDATE complaint_search s
SET grams = redress_search_grams(concat_ws(' ', c.title, c.description, c.order_no, c.product_name, o.name)),
    platform_id = c.platform_id, merchant_id = c.merchant_id, mediation_body_id = c.mediation_body_id
FROM complaints c LEFT JOIN organizations o ON o.id = c.merchant_id WHERE c.id = s.complaint_id;
ALTER TABLE complaint_messages NO FORCE ROW LEVEL SECURITY;
UPDATE message_search s
SET grams = redress_search_grams(m.body), platform_id = c.platform_id, merchant_id = c.merchant_id, mediation_body_id = c.mediation_body_id
FROM complaint_messages m JOIN complaints c ON c.id = m.complaint_id WHERE m.id = s.message_id;
ALTER TABLE complaint_messages FORCE ROW LEVEL SECURITY;
SELECT set_config('redress.role', '', true);
-- One index serves a condition on any subset of its columns, each as well as the others.
CREATE INDEX complaint_search_scoped ON complaint_search USING gin (platform_id, merchant_id, mediation_body_id, grams);
CREATE INDEX message_search_scoped ON message_search USING gin (platform_id, merchant_id, mediation_body_id, grams);

-- The scope is the complaint's, copied as its texts are indexed and kept as the case moves (a case
-- reaches a mediation body when it escalates).
CREATE OR REPLACE FUNCTION redress_index_complaint(complaint uuid, bigrams text[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    INSERT INTO complaint_search (complaint_id, grams, platform_id, merchant_id, mediation_body_id)
    SELECT c.id, bigrams, c.platform_id, c.merchant_id, c.mediation_body_id FROM complaints c
    WHERE c.id = complaint AND (c.consumer_id = redress_actor_id() OR redress_actor_role() = 'cli');
    IF NOT FOUND THEN
        RAISE EXCEPTION 'a complaint is indexed by its consumer as it is filed' USING ERRCODE = 'insufficient_privilege';
    END IF;
END
$$;
CREATE OR REPLACE FUNCTION redress_index_message(message uuid, bigrams text[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    -- Its author, or the operator's command line writing a demonstration world in people's names.
    INSERT INTO message_search (message_id, complaint_id, grams, platform_id, merchant_id, mediation_body_id)
    SELECT m.id, m.complaint_id, bigrams, c.platform_id, c.merchant_id, c.mediation_body_id
    FROM complaint_messages m JOIN complaints c ON c.id = m.complaint_id
    WHERE m.id = message AND (m.author_id = redress_actor_id() OR redress_actor_role() = 'cli');
    IF NOT FOUND THEN
        RAISE EXCEPTION 'a thread entry is indexed by its author as it is written' USING ERRCODE = 'insufficient_privilege';
    END IF;
END
$$;
CREATE FUNCTION complaints_move_search_scope() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    UPDATE complaint_search SET platform_id = NEW.platform_id, merchant_id = NEW.merchant_id, mediation_body_id = NEW.mediation_body_id
    WHERE complaint_id = NEW.id;
    UPDATE message_search SET platform_id = NEW.platform_id, merchant_id = NEW.merchant_id, mediation_body_id = NEW.mediation_body_id
    WHERE complaint_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER complaints_move_search_scope AFTER UPDATE OF platform_id, merchant_id, mediation_body_id ON complaints
    FOR EACH ROW WHEN (OLD.platform_id IS DISTINCT FROM NEW.platform_id OR OLD.merchant_id IS DISTINCT FROM NEW.merchant_id
                       OR OLD.mediation_body_id IS DISTINCT FROM NEW.mediation_body_id)
    EXECUTE FUNCTION complaints_move_search_scope();

-- Candidates within a scope (NULL: none), at most `most` from the complaints' own texts and as many
-- from thread entries: ids only, read by the service under row-level security. One statement per scope,
-- so that each plan names the index's columns it uses.
CREATE FUNCTION redress_search_hits(bigrams text[], platform uuid, merchant uuid, body uuid, most int) RETURNS SETOF uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    IF platform IS NOT NULL THEN
        RETURN QUERY SELECT complaint_id FROM complaint_search WHERE platform_id = platform AND grams @> bigrams LIMIT most;
        RETURN QUERY SELECT complaint_id FROM message_search WHERE platform_id = platform AND grams @> bigrams LIMIT most;
    ELSIF merchant IS NOT NULL THEN
        RETURN QUERY SELECT complaint_id FROM complaint_search WHERE merchant_id = merchant AND grams @> bigrams LIMIT most;
        RETURN QUERY SELECT complaint_id FROM message_search WHERE merchant_id = merchant AND grams @> bigrams LIMIT most;
    ELSIF body IS NOT NULL THEN
        RETURN QUERY SELECT complaint_id FROM complaint_search WHERE mediation_body_id = body AND grams @> bigrams LIMIT most;
        RETURN QUERY SELECT complaint_id FROM message_search WHERE mediation_body_id = body AND grams @> bigrams LIMIT most;
    ELSE
        RETURN QUERY SELECT complaint_id FROM complaint_search WHERE grams @> bigrams LIMIT most;
        RETURN QUERY SELECT complaint_id FROM message_search WHERE grams @> bigrams LIMIT most;
    END IF;
END
$$;
-- The unscoped function of 0037 stays for a service of the previous version still running beside
-- this one during an upgrade.
REVOKE ALL ON FUNCTION redress_search_hits(text[], uuid, uuid, uuid, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION redress_search_hits(text[], uuid, uuid, uuid, int) TO redress_app;
