-- 0023: the outbox. Every event a party of a case should hear of is written in the transaction that
-- causes it, so it is never lost after a commit nor sent for a change that rolled back. The event
-- feed reads it in commit order (`txid`, then `seq`): a row is served only once every transaction
-- older than the reader's snapshot has ended, so a row committed later never lands before the
-- cursor of a reader who already moved past. Who reads which event is decided as for the case.

CREATE TABLE outbox_events (
    seq bigint GENERATED ALWAYS AS IDENTITY,
    id uuid PRIMARY KEY,
    txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    complaint_id uuid NOT NULL REFERENCES complaints (id),
    type text NOT NULL CHECK (length(type) BETWEEN 1 AND 64),
    occurred_at timestamptz NOT NULL,
    -- The case's state after the event.
    state text,
    -- An internal note's organisation: only it hears of the note.
    internal_org uuid,
    -- A rating: the platform and the merchant never hear of it (they could press for a better one).
    hidden_from_platform boolean NOT NULL DEFAULT false
);
CREATE INDEX outbox_events_feed ON outbox_events (txid, seq);
CREATE INDEX outbox_events_by_complaint ON outbox_events (complaint_id);

ALTER TABLE outbox_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox_events FORCE ROW LEVEL SECURITY;
CREATE POLICY outbox_read ON outbox_events FOR SELECT USING (
    EXISTS (SELECT 1 FROM complaints c WHERE c.id = complaint_id
            AND redress_may_see_complaint(c.consumer_id, c.platform_id, c.merchant_id, c.mediation_body_id))
    AND (internal_org IS NULL OR internal_org = redress_actor_org())
    AND NOT (hidden_from_platform AND redress_actor_role() IN ('platform_staff', 'platform_admin', 'merchant_staff')));
CREATE POLICY outbox_publish ON outbox_events FOR INSERT WITH CHECK (
    redress_actor_role() NOT IN ('anonymous', 'auditor', 'admin')
    AND EXISTS (SELECT 1 FROM complaints c WHERE c.id = complaint_id
                AND redress_may_see_complaint(c.consumer_id, c.platform_id, c.merchant_id, c.mediation_body_id)));

GRANT SELECT, INSERT ON outbox_events TO redress_app;
