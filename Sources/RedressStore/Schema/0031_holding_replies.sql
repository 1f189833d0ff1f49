-- 0031: a seller's holding replies ("正在核实") are recorded as acknowledgements, not answers: counted
-- on the case, their text in the thread as a message of its own kind. The ultimatum can be set or
-- brought forward after filing.
ALTER TABLE complaints
    ADD COLUMN acknowledgements integer NOT NULL DEFAULT 0 CHECK (acknowledgements BETWEEN 0 AND 1000),
    ADD COLUMN last_acknowledged_at timestamptz;
ALTER TABLE complaint_messages
    ADD COLUMN kind text NOT NULL DEFAULT 'message' CHECK (kind IN ('message', 'acknowledgement'));
GRANT UPDATE (ultimatum_days, acknowledgements, last_acknowledged_at) ON complaints TO redress_app;
