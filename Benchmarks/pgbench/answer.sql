-- One answer (POST /api/v1/complaints/{id}/actions/respond by the platform's staff), statement for
-- statement; the case keeps its state (see README.md) so that it can be answered again.
\set n random(1, :open_cases)
SELECT complaint, staff, platform, token_digest FROM bench.open_cases WHERE n = :n \gset
BEGIN;
SELECT set_config('redress.role', 'anonymous', true), set_config('redress.account_id', '', true),
       set_config('redress.organization_id', '', true), set_config('redress.auth_email', '', true),
       set_config('redress.session_digest', encode(':token_digest'::bytea, 'hex'), true);
SELECT a.id, a.role, a.organization_id, o.kind, o.platform_id, s.expires_at
FROM sessions s JOIN accounts a ON a.id = s.account_id LEFT JOIN organizations o ON o.id = a.organization_id
WHERE s.token_digest = ':token_digest'::bytea AND s.revoked_at IS NULL AND s.expires_at > now();
COMMIT;
BEGIN;
SELECT set_config('redress.role', 'platform_staff', true), set_config('redress.account_id', ':staff', true),
       set_config('redress.organization_id', ':platform', true), set_config('redress.auth_email', '', true),
       set_config('redress.session_digest', '', true);
SELECT id, consumer_id, consumer_name, platform_id, merchant_id, category, title, description, order_no, product_name, amount_paid,
       currency, ordered_at, payment_channel, payment_ref, demands::text AS demands, ultimatum_days, ultimatum_at, state,
       version, submitted_at, updated_at, stage_started_at, deadline_at, overdue, overdue_party, merchant_missed_deadline,
       platform_missed_deadline, first_response_at, first_response_by, first_response_deadline_at, first_response_on_time,
       answered_by, answer::text AS answer, answer_rejected, mediation_body_id, escalated_at, triaged, mediator_id, mediated,
       settlement::text AS settlement, consumer_accepted_settlement, platform_accepted_settlement,
       agreed_outcome::text AS agreed_outcome, agreed_refund, resolved_at, referral_channel, referral_reference, rating,
       rating_comment, closed_at
FROM complaints WHERE id = ':complaint';
SELECT o.id, o.name, p.company_name, p.credit_code, p.registered_address, p.website, p.response_days, p.merchant_first,
       p.merchant_response_days, p.default_mediation_body_id, o.created_at
FROM organizations o JOIN platforms p ON p.id = o.id WHERE o.id = ':platform';
SELECT to_char(day, 'YYYY-MM-DD'), kind, name FROM calendar_days WHERE day BETWEEN current_date AND current_date + 200 ORDER BY day;
SELECT response_days, merchant_response_days, fulfilment_days FROM platforms WHERE id = ':platform';
UPDATE complaints SET version = version + 1, updated_at = now(), answered_by = 'platform',
    answer = '{"decision":"propose","proposal":{"refund":10000,"text":"核实后全额退款"}}'::jsonb, answer_rejected = false
WHERE id = ':complaint' RETURNING id;
INSERT INTO audit_events (chain_id, occurred_at, action, entity_type, entity_id, actor_account_id, actor_role, actor_organization_id, content)
VALUES ('complaint:' || ':complaint', now(), 'complaint.respond', 'complaint', ':complaint', ':staff', 'platform_staff', ':platform',
    '{"action":"complaint.respond","actor":{"account_id":"' || ':staff' || '","organization_id":"' || ':platform' || '","role":"platform_staff"},"changes":{"answer_decision":{"after":"propose"},"proposed_refund":{"after":10000},"version":{"after":2,"before":1}},"client_address":"127.0.0.1","entity":{"id":"' || ':complaint' || '","type":"complaint"},"occurred_at":"2026-11-25T10:00:00.000Z","request_id":"00000000-0000-0000-0000-000000000000","v":1}');
SELECT DISTINCT kind FROM evidence WHERE complaint_id = ':complaint';
COMMIT;
