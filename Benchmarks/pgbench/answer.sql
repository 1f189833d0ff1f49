-- One answer (POST /api/v1/complaints/{id}/actions/respond by the platform's staff), statement for
-- statement, in the benchmark's steady state (the session cached: one transaction); the case keeps
-- its state (see README.md) so that it can be answered again. Run with -M prepared.
\set n random(1, :open_cases)
SELECT complaint, staff, platform FROM bench.open_cases WHERE n = :n \gset
-- The audit content and the answer, written in Swift and bound by the service (see intake.sql).
SELECT replace(replace(replace(content, '{staff}', :staff::text), '{platform}', :platform::text), '{complaint}', :complaint::text) AS content,
       (SELECT content FROM bench.templates WHERE name = 'answer') AS answer
FROM bench.templates WHERE name = 'complaint.respond' \gset
BEGIN;
SELECT set_config('redress.role', 'platform_staff', true), set_config('redress.account_id', :staff, true),
       set_config('redress.organization_id', :platform, true), set_config('redress.auth_email', '', true),
       set_config('redress.session_digest', '', true);
SELECT id, consumer_id, consumer_name, platform_id, merchant_id, category, title, description, order_no, product_name, amount_paid,
       currency, ordered_at, payment_channel, payment_ref, demands::text AS demands, ultimatum_days, ultimatum_at, state,
       version, submitted_at, updated_at, stage_started_at, deadline_at, overdue, overdue_party, merchant_missed_deadline,
       platform_missed_deadline, first_response_at, first_response_by, first_response_deadline_at, first_response_on_time,
       answered_by, answer::text AS answer, answer_rejected, mediation_body_id, escalated_at, triaged, mediator_id, mediated,
       settlement::text AS settlement, consumer_accepted_settlement, platform_accepted_settlement,
       agreed_outcome::text AS agreed_outcome, agreed_refund, resolved_at, referral_channel, referral_reference, rating,
       rating_comment, closed_at
FROM complaints WHERE id = :complaint;
SELECT o.id, o.name, p.company_name, p.credit_code, p.registered_address, p.website, p.response_days, p.merchant_first,
       p.merchant_response_days, p.default_mediation_body_id, o.created_at
FROM organizations o JOIN platforms p ON p.id = o.id WHERE o.id = :platform;
SELECT to_char(day, 'YYYY-MM-DD'), kind, name FROM calendar_days WHERE day BETWEEN current_date AND current_date + 200 ORDER BY day;
SELECT response_days, merchant_response_days, fulfilment_days FROM platforms WHERE id = :platform;
UPDATE complaints SET version = version + 1, updated_at = now(), answered_by = 'platform',
    answer = :answer::jsonb, answer_rejected = false
WHERE id = :complaint RETURNING id;
INSERT INTO audit_events (chain_id, occurred_at, action, entity_type, entity_id, actor_account_id, actor_role, actor_organization_id, content)
VALUES ('complaint:' || :complaint::text, now(), 'complaint.respond', 'complaint', :complaint, :staff, 'platform_staff', :platform,
    :content);
SELECT DISTINCT kind FROM evidence WHERE complaint_id = :complaint;
COMMIT;
