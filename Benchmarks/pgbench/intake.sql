-- One intake (POST /api/v1/complaints with an Idempotency-Key), statement for statement, in the
-- steady state of the benchmark: the caller's session is in the service's session cache, so the
-- request is one transaction. Run with -M prepared (variables are parameters, never quoted).
\set n random(1, :callers)
\set p random(1, :platforms)
SELECT account_id AS consumer, gen_random_uuid() AS complaint, 'pgbench-' || gen_random_uuid() AS idem FROM bench.callers WHERE n = :n \gset
SELECT id AS platform FROM bench.platforms WHERE n = :p \gset
-- The service writes the audit content and the demands in Swift and binds them; here they come from
-- bench.templates (a literal with colons cannot be written in a prepared pgbench script).
SELECT replace(replace(replace(content, '{consumer}', :consumer::text), '{platform}', :platform::text), '{complaint}', :complaint::text) AS content,
       (SELECT content FROM bench.templates WHERE name = 'demands') AS demands
FROM bench.templates WHERE name = 'complaint.submit' \gset
BEGIN;
SELECT set_config('redress.role', 'consumer', true), set_config('redress.account_id', :consumer, true),
       set_config('redress.organization_id', '', true), set_config('redress.auth_email', '', true),
       set_config('redress.session_digest', '', true);
INSERT INTO idempotency_keys (account_id, key, request_sha256, created_at) VALUES (:consumer, :idem, repeat('a', 64), now())
ON CONFLICT (account_id, key) DO NOTHING RETURNING 1;
SELECT o.id, o.name, p.company_name, p.credit_code, p.registered_address, p.website, p.response_days, p.merchant_first,
       p.merchant_response_days, p.default_mediation_body_id, o.created_at
FROM organizations o JOIN platforms p ON p.id = o.id WHERE o.id = :platform;
SELECT id, email, display_name, phone, role, organization_id, created_at FROM accounts WHERE id = :consumer;
SELECT response_days, merchant_response_days, fulfilment_days FROM platforms WHERE id = :platform;
SELECT to_char(day, 'YYYY-MM-DD'), kind, name FROM calendar_days WHERE day BETWEEN current_date AND current_date + 200 ORDER BY day;
INSERT INTO complaints (id, consumer_id, consumer_name, platform_id, merchant_id, category, title, description, order_no, product_name,
    amount_paid, currency, ordered_at, payment_channel, payment_ref, demands, refund_claimed, ultimatum_days, ultimatum_at, state, version,
    submitted_at, submitted_on, updated_at, stage_started_at, deadline_at)
VALUES (:complaint, :consumer, '演示消费者', :platform, NULL, 'non_delivery', '点卡付款后未发卡密', '付款成功后卡密一直未发放，客服不回复。',
    'PGBENCH-' || :idem::text, '游戏点卡 100元', 10000, 'CNY', NULL, NULL, NULL, :demands::jsonb, 10000, NULL, NULL,
    'awaiting_platform', 1, now(), current_date, now(), now(), now() + interval '9 days');
INSERT INTO audit_events (chain_id, occurred_at, action, entity_type, entity_id, actor_account_id, actor_role, actor_organization_id, content)
VALUES ('complaint:' || :complaint::text, now(), 'complaint.submit', 'complaint', :complaint, :consumer, 'consumer', NULL,
    :content);
UPDATE idempotency_keys SET response_status = 201, response_body = repeat('x', 2400) WHERE account_id = :consumer AND key = :idem;
COMMIT;
