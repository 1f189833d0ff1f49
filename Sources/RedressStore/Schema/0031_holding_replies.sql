-- 0031: a seller's holding replies ("正在核实") are recorded as acknowledgements, not answers: counted
-- on the case, their text in the thread as a message of its own kind. The ultimatum can be set or
-- brought forward after filing. A consumer's supplements are messages of their own kind.
ALTER TABLE complaints
    ADD COLUMN acknowledgements integer NOT NULL DEFAULT 0 CHECK (acknowledgements BETWEEN 0 AND 1000),
    ADD COLUMN last_acknowledged_at timestamptz;
-- A consumer's supplement (a statement added after filing, with the evidence it points to) is a
-- message of its own kind too: dated, appended, the original statement untouched.
ALTER TABLE complaint_messages
    ADD COLUMN kind text NOT NULL DEFAULT 'message' CHECK (kind IN ('message', 'acknowledgement', 'supplement')),
    ADD COLUMN evidence_ids uuid[] NOT NULL DEFAULT '{}' CHECK (cardinality(evidence_ids) <= 10);
GRANT UPDATE (ultimatum_days, acknowledgements, last_acknowledged_at) ON complaints TO redress_app;
