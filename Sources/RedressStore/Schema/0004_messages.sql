-- 0004: the message thread of each complaint.
--
-- `parties` messages are read by everyone who is party to the case (the consumer, the platform, the
-- merchant it names, the mediation body once escalated); `internal` ones only by the author's own
-- organisation. Auditors see case metadata, not messages.

CREATE TABLE complaint_messages (
    id uuid PRIMARY KEY,
    complaint_id uuid NOT NULL REFERENCES complaints (id),
    author_id uuid NOT NULL REFERENCES accounts (id),
    author_role text NOT NULL,
    author_organization_id uuid REFERENCES organizations (id),
    visibility text NOT NULL CHECK (visibility IN ('parties', 'internal')),
    body text NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    created_at timestamptz NOT NULL,
    -- Consumers belong to no organisation: they write to the parties only.
    CHECK (visibility = 'parties' OR author_organization_id IS NOT NULL)
);
CREATE INDEX complaint_messages_thread ON complaint_messages (complaint_id, created_at, id);

ALTER TABLE complaint_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE complaint_messages FORCE ROW LEVEL SECURITY;

CREATE POLICY message_read ON complaint_messages FOR SELECT USING (
    redress_actor_role() NOT IN ('auditor', 'system')
    AND EXISTS (SELECT 1 FROM complaints c WHERE c.id = complaint_id
                AND redress_may_see_complaint(c.consumer_id, c.platform_id, c.merchant_id, c.mediation_body_id))
    AND (visibility = 'parties' OR author_organization_id = redress_actor_org()));
CREATE POLICY message_write ON complaint_messages FOR INSERT WITH CHECK (
    author_id = redress_actor_id()
    AND author_organization_id IS NOT DISTINCT FROM redress_actor_org()
    AND redress_actor_role() NOT IN ('auditor', 'system', 'admin')
    AND EXISTS (SELECT 1 FROM complaints c WHERE c.id = complaint_id
                AND redress_may_see_complaint(c.consumer_id, c.platform_id, c.merchant_id, c.mediation_body_id)));

GRANT SELECT, INSERT ON complaint_messages TO redress_app;
