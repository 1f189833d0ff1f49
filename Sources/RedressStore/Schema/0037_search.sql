-- 0037: search by text. Chinese has no spaces between words and PostgreSQL's full-text search and
-- trigram module do not split it (the trigram module ignores CJK characters under the C locale), so
-- texts are indexed by character bigrams: each run of letters and digits, normalised (NFKC, ASCII
-- lower-cased), gives its overlapping pairs. A query's bigrams find candidates through a GIN index;
-- the service then checks each candidate for every word of the query as written. The service writes
-- the bigrams as it writes the texts (RedressCore's SearchText, the same rules as below); the
-- functions here fill them in for texts written before this migration.

-- What texts are compared as: NFKC (full-width forms become ASCII), ASCII letters lower-cased.
CREATE FUNCTION redress_search_normalise(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT translate(normalize(coalesce(t, ''), NFKC), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
$$;
-- The distinct bigrams of a text; a pair that holds white space or punctuation is none.
CREATE FUNCTION redress_search_grams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT g ORDER BY g), '{}') FROM (
        SELECT ch || lead(ch) OVER (ORDER BY i) AS g
        FROM unnest(regexp_split_to_array(redress_search_normalise(t), '')) WITH ORDINALITY AS c(ch, i)
    ) pairs WHERE g !~ '[[:space:][:punct:]\u2000-\u206f\u3000-\u303f\uff01-\uff0f]'
$$;

-- A complaint's own texts: title, statement, order number, product and merchant names.
CREATE TABLE complaint_search (
    complaint_id uuid PRIMARY KEY REFERENCES complaints (id),
    grams text[] NOT NULL CHECK (cardinality(grams) <= 20000)
);
CREATE INDEX complaint_search_grams ON complaint_search USING gin (grams);
-- Each thread entry's text (messages, holding replies, supplements).
CREATE TABLE message_search (
    message_id uuid PRIMARY KEY REFERENCES complaint_messages (id),
    complaint_id uuid NOT NULL REFERENCES complaints (id),
    grams text[] NOT NULL CHECK (cardinality(grams) <= 20000)
);
CREATE INDEX message_search_grams ON message_search USING gin (grams);

-- Bigrams are derived from personal text. The service's role reaches them only through the functions
-- below, owned by the schema's owner: it writes the bigrams of a text it may read (its own complaint as
-- it files it, its own thread entry), reads nothing but the ids of candidate complaints (which it then
-- reads under row-level security, checking every word), and the system alone learns how alike two
-- complaints' texts are (the cluster job). A GIN index can serve `@>` here because row-level security does not stand
-- between: under it, PostgreSQL would apply the operator (not leakproof) only after every row's policy.
ALTER TABLE complaint_search ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_search ENABLE ROW LEVEL SECURITY;

CREATE FUNCTION redress_index_complaint(complaint uuid, bigrams text[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM complaints c
                   WHERE c.id = complaint AND (c.consumer_id = redress_actor_id() OR redress_actor_role() = 'cli')) THEN
        RAISE EXCEPTION 'a complaint is indexed by its consumer as it is filed' USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO complaint_search (complaint_id, grams) VALUES (complaint, bigrams);
END
$$;
CREATE FUNCTION redress_index_message(message uuid, bigrams text[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    complaint uuid;
BEGIN
    -- Its author, or the operator's command line writing a demonstration world in people's names.
    SELECT m.complaint_id INTO complaint FROM complaint_messages m
    WHERE m.id = message AND (m.author_id = redress_actor_id() OR redress_actor_role() = 'cli');
    IF complaint IS NULL THEN
        RAISE EXCEPTION 'a thread entry is indexed by its author as it is written' USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO message_search (message_id, complaint_id, grams) VALUES (message, complaint, bigrams);
END
$$;
-- The complaints whose own texts, or one of whose thread entries, hold every bigram: ids only.
CREATE FUNCTION redress_search_hits(bigrams text[]) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
    SELECT complaint_id FROM complaint_search WHERE grams @> bigrams
    UNION
    SELECT complaint_id FROM message_search WHERE grams @> bigrams
$$;
-- How alike a complaint's texts are to each candidate's (the Jaccard index of their bigram sets), for
-- the system's cluster job only: computed here, so that no bigram leaves the database.
CREATE FUNCTION redress_text_similarities(subject uuid, candidates uuid[]) RETURNS TABLE (complaint_id uuid, similarity float8)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
    SELECT c.complaint_id, CASE WHEN t.total = t.shared THEN 0 ELSE t.shared::float8 / (t.total - t.shared) END
    FROM complaint_search s
    JOIN complaint_search c ON c.complaint_id = ANY(candidates)
    CROSS JOIN LATERAL (
        SELECT cardinality(s.grams) + cardinality(c.grams) AS total,
               (SELECT count(*) FROM (SELECT unnest(s.grams) INTERSECT SELECT unnest(c.grams)) i) AS shared
    ) t
    WHERE s.complaint_id = subject AND redress_actor_role() = 'system'
$$;
REVOKE ALL ON FUNCTION redress_index_complaint(uuid, text[]), redress_index_message(uuid, text[]), redress_search_hits(text[]),
    redress_text_similarities(uuid, uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION redress_index_complaint(uuid, text[]), redress_index_message(uuid, text[]), redress_search_hits(text[]),
    redress_text_similarities(uuid, uuid[]) TO redress_app;

-- Erased or anonymised text takes its bigrams with it.
CREATE FUNCTION complaints_forget_search() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    DELETE FROM complaint_search WHERE complaint_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER complaints_forget_search AFTER UPDATE OF title, description, order_no, product_name ON complaints
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.description IS DISTINCT FROM NEW.description
                       OR OLD.order_no IS DISTINCT FROM NEW.order_no OR OLD.product_name IS DISTINCT FROM NEW.product_name)
    EXECUTE FUNCTION complaints_forget_search();
CREATE FUNCTION messages_forget_search() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    DELETE FROM message_search WHERE message_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER messages_forget_search AFTER UPDATE OF body ON complaint_messages
    FOR EACH ROW WHEN (OLD.body IS DISTINCT FROM NEW.body) EXECUTE FUNCTION messages_forget_search();

-- The texts already written (as the system, which reads every complaint and the directory; the thread
-- is nobody's to read whole, so its row-level security is lifted for this transaction only).
SELECT set_config('redress.role', 'system', true);
INSERT INTO complaint_search (complaint_id, grams)
SELECT c.id, redress_search_grams(concat_ws(' ', c.title, c.description, c.order_no, c.product_name, o.name))
FROM complaints c LEFT JOIN organizations o ON o.id = c.merchant_id WHERE c.erased_at IS NULL;
ALTER TABLE complaint_messages NO FORCE ROW LEVEL SECURITY;
INSERT INTO message_search (message_id, complaint_id, grams) SELECT m.id, m.complaint_id, redress_search_grams(m.body) FROM complaint_messages m;
ALTER TABLE complaint_messages FORCE ROW LEVEL SECURITY;
SELECT set_config('redress.role', '', true);
