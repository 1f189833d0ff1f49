-- 0025: a case's party hears a working day ahead that its deadline approaches. One warning per
-- deadline: a case whose deadline moves (a new stage) is warned again of the new one.

CREATE TABLE deadline_warnings (
    complaint_id uuid NOT NULL REFERENCES complaints (id),
    deadline_at timestamptz NOT NULL,
    warned_at timestamptz NOT NULL,
    PRIMARY KEY (complaint_id, deadline_at)
);
ALTER TABLE deadline_warnings ENABLE ROW LEVEL SECURITY;
ALTER TABLE deadline_warnings FORCE ROW LEVEL SECURITY;
CREATE POLICY deadline_warnings_system ON deadline_warnings FOR ALL
    USING (redress_actor_role() = 'system') WITH CHECK (redress_actor_role() = 'system');
GRANT SELECT, INSERT ON deadline_warnings TO redress_app;
