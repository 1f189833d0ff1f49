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

-- Bigrams are derived from personal text: whoever may not read the text may not read them; only the
-- erasing system removes them (the triggers below).
ALTER TABLE complaint_search ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_search ENABLE ROW LEVEL SECURITY;
CREATE POLICY complaint_search_forget ON complaint_search FOR DELETE USING (redress_actor_role() = 'system');
CREATE POLICY message_search_forget ON message_search FOR DELETE USING (redress_actor_role() = 'system');
CREATE POLICY complaint_search_read ON complaint_search FOR SELECT
    USING (EXISTS (SELECT 1 FROM complaints c WHERE c.id = complaint_id));
CREATE POLICY complaint_search_write ON complaint_search FOR INSERT
    WITH CHECK (EXISTS (SELECT 1 FROM complaints c WHERE c.id = complaint_id AND c.consumer_id = redress_actor_id()));
CREATE POLICY message_search_read ON message_search FOR SELECT
    USING (EXISTS (SELECT 1 FROM complaint_messages m WHERE m.id = message_id));
CREATE POLICY message_search_write ON message_search FOR INSERT
    WITH CHECK (EXISTS (SELECT 1 FROM complaint_messages m WHERE m.id = message_id AND m.complaint_id = message_search.complaint_id
                        AND m.author_id = redress_actor_id()));
GRANT SELECT, INSERT ON complaint_search, message_search TO redress_app;

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
-- is nobody's to read whole, so its row-level security is lifted for this transaction only), before
-- the search tables' row-level security binds their owner too.
SELECT set_config('redress.role', 'system', true);
INSERT INTO complaint_search (complaint_id, grams)
SELECT c.id, redress_search_grams(concat_ws(' ', c.title, c.description, c.order_no, c.product_name, o.name))
FROM complaints c LEFT JOIN organizations o ON o.id = c.merchant_id WHERE c.erased_at IS NULL;
ALTER TABLE complaint_messages NO FORCE ROW LEVEL SECURITY;
INSERT INTO message_search (message_id, complaint_id, grams) SELECT m.id, m.complaint_id, redress_search_grams(m.body) FROM complaint_messages m;
ALTER TABLE complaint_messages FORCE ROW LEVEL SECURITY;
SELECT set_config('redress.role', '', true);
ALTER TABLE complaint_search FORCE ROW LEVEL SECURITY;
ALTER TABLE message_search FORCE ROW LEVEL SECURITY;
