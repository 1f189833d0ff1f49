-- The least a durable, audited filing can cost: one transaction that inserts one complaint row and
-- one audit row (its hash computed) into bare copies of the two tables — primary keys only: no other
-- index, no trigger, no row-level security, no rollup, idempotency record or chain link — committed
-- with the same durability settings as the service's transactions. Run with -M prepared.
\set n random(1, :callers)
\set p random(1, :platforms)
SELECT account_id AS consumer, gen_random_uuid() AS complaint FROM bench.callers WHERE n = :n \gset
SELECT id AS platform FROM bench.platforms WHERE n = :p \gset
SELECT replace(replace(replace(content, '{consumer}', :consumer::text), '{platform}', :platform::text), '{complaint}', :complaint::text) AS content,
       (SELECT content FROM bench.templates WHERE name = 'demands') AS demands
FROM bench.templates WHERE name = 'complaint.submit' \gset
BEGIN;
INSERT INTO bench.bare_complaints (id, consumer_id, consumer_name, platform_id, merchant_id, category, title, description, order_no, product_name,
    amount_paid, currency, demands, refund_claimed, state, version, submitted_at, submitted_on, updated_at, stage_started_at, deadline_at)
VALUES (:complaint, :consumer, '演示消费者', :platform, NULL, 'non_delivery', '点卡付款后未发卡密', '付款成功后卡密一直未发放，客服不回复。',
    'PGBENCH-' || :complaint::text, '游戏点卡 100元', 10000, 'CNY', :demands::jsonb, 10000,
    'awaiting_platform', 1, now(), current_date, now(), now(), now() + interval '9 days');
INSERT INTO bench.bare_audit_events (chain_id, seq, occurred_at, action, entity_type, entity_id, actor_account_id, actor_role, content, prev_hash, hash)
VALUES ('complaint:' || :complaint::text, 1, now(), 'complaint.submit', 'complaint', :complaint, :consumer, 'consumer', :content,
    decode(repeat('00', 32), 'hex'), sha256(convert_to('complaint:' || :complaint::text || E'\n1\n' || repeat('0', 64) || E'\n' || :content, 'UTF8')));
COMMIT;
