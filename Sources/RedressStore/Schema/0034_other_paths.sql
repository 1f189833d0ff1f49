-- 0034: the guide's other paths. A platform hands a case to its merchant (awaiting_platform →
-- awaiting_merchant); a consumer goes to 12315 straight from the platform stage once the platform
-- failed (awaiting_platform or proposal_made → referred), and records the authority's case number and
-- outcome later, the referral open until then; a new complaint may re-file one whose mediation failed
-- or whose settlement was never delivered.
INSERT INTO complaint_state_changes (from_state, to_state) VALUES
    ('awaiting_platform', 'awaiting_merchant'),
    ('awaiting_platform', 'referred'),
    ('proposal_made', 'referred');

ALTER TABLE complaints
    ADD COLUMN referral_outcome text CHECK (referral_outcome IN ('resolved', 'not_resolved', 'declined')),
    ADD COLUMN referral_closed_at timestamptz,
    ADD COLUMN refiles uuid REFERENCES complaints (id);
GRANT UPDATE (referral_outcome, referral_closed_at) ON complaints TO redress_app;
-- One re-filing per case.
CREATE UNIQUE INDEX complaints_refiled ON complaints (refiles) WHERE refiles IS NOT NULL;
