-- 0011: indexes for the complaint lists that the first ones did not cover: a mediation body's cases
-- in submission order, and every case in submission order (auditors). The list query names the
-- caller's scope (consumer, platform, merchant, body), so each list is an index range.
CREATE INDEX complaints_by_body_submitted ON complaints (mediation_body_id, submitted_at, id) WHERE mediation_body_id IS NOT NULL;
CREATE INDEX complaints_submitted ON complaints (submitted_at, id);
