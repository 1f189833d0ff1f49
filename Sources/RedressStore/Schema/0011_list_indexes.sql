-- 0011: indexes for the complaint lists that the first ones did not cover: a mediation body's cases
-- in submission order, and every case in submission order (auditors). The list query names the
-- caller's scope (consumer, platform, merchant, body), so each list is an index range.
CREATE INDEX complaints_by_body_submitted ON complaints (mediation_body_id, submitted_at, id) WHERE mediation_body_id IS NOT NULL;
CREATE INDEX complaints_submitted ON complaints (submitted_at, id);

-- A platform's (or merchant's) list filtered by state, in submission order: the platform's open cases
-- are a few hundred among its tens of thousands.
CREATE INDEX complaints_by_platform_state ON complaints (platform_id, state, submitted_at, id);
CREATE INDEX complaints_by_merchant_state ON complaints (merchant_id, state, submitted_at, id) WHERE merchant_id IS NOT NULL;

-- The triage queue's order (overdue first, then the earliest deadline, then the largest amount) for
-- the cases a body works on, so that the first page is read, not sorted out of every case.
CREATE INDEX complaints_triage_order ON complaints (mediation_body_id, overdue DESC, deadline_at, amount_paid DESC, id)
    WHERE state IN ('escalated', 'in_mediation');
