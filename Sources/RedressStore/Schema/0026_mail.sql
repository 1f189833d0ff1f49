-- 0026: e-mail. Mails are queued in the transaction that decides them and sent by delivery workers
-- in every replica (FOR UPDATE SKIP LOCKED, as webhooks). The notifier turns the outbox's events
-- into mails in commit order from a cursor of its own; each person chooses which optional mails
-- to receive, and in which language.

CREATE TABLE mail_outbox (
    id uuid PRIMARY KEY,
    account_id uuid REFERENCES accounts (id),
    to_address text NOT NULL CHECK (length(to_address) BETWEEN 3 AND 320),
    subject text NOT NULL CHECK (length(subject) <= 300),
    body text NOT NULL CHECK (length(body) <= 20000),
    category text NOT NULL CHECK (length(category) <= 64),
    unsubscribe_url text CHECK (length(unsubscribe_url) <= 2000),
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL,
    last_error text CHECK (length(last_error) <= 500),
    created_at timestamptz NOT NULL,
    sent_at timestamptz
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX mail_outbox_by_account ON mail_outbox (account_id);
-- Anyone may queue a mail (registration and password reset are anonymous); only the system reads
-- and sends them.
ALTER TABLE mail_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE mail_outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY mail_queue ON mail_outbox FOR INSERT WITH CHECK (redress_actor_role() IS NOT NULL);
CREATE POLICY mail_send ON mail_outbox FOR SELECT USING (redress_actor_role() = 'system');
CREATE POLICY mail_record ON mail_outbox FOR UPDATE USING (redress_actor_role() = 'system') WITH CHECK (redress_actor_role() = 'system');
CREATE POLICY mail_forget ON mail_outbox FOR DELETE USING (redress_actor_role() = 'system');
GRANT SELECT, INSERT, DELETE ON mail_outbox TO redress_app;
GRANT UPDATE (state, attempts, next_attempt_at, last_error, sent_at) ON mail_outbox TO redress_app;

-- Optional mails a person turned off (no row: on), and the language of every mail.
CREATE TABLE notification_preferences (
    account_id uuid NOT NULL REFERENCES accounts (id),
    category text NOT NULL CHECK (length(category) <= 64),
    enabled boolean NOT NULL,
    PRIMARY KEY (account_id, category)
);
ALTER TABLE notification_preferences ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification_preferences FORCE ROW LEVEL SECURITY;
CREATE POLICY own_preferences ON notification_preferences FOR ALL
    USING (account_id = redress_actor_id() OR redress_actor_role() = 'system')
    WITH CHECK (account_id = redress_actor_id() OR redress_actor_role() = 'system');
GRANT SELECT, INSERT, UPDATE ON notification_preferences TO redress_app;

ALTER TABLE accounts ADD COLUMN mail_language text NOT NULL DEFAULT 'zh-CN' CHECK (mail_language IN ('zh-CN', 'en'));
GRANT UPDATE (mail_language) ON accounts TO redress_app;

-- Who caused an event (never served by the feed): nobody is mailed about what he did himself.
ALTER TABLE outbox_events ADD COLUMN actor_account_id uuid;

-- Where readers of the whole outbox (the notifier) have got to, in commit order.
CREATE TABLE outbox_readers (
    name text PRIMARY KEY,
    txid xid8 NOT NULL,
    seq bigint NOT NULL
);
ALTER TABLE outbox_readers ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox_readers FORCE ROW LEVEL SECURITY;
CREATE POLICY outbox_readers_system ON outbox_readers FOR ALL
    USING (redress_actor_role() = 'system') WITH CHECK (redress_actor_role() = 'system');
GRANT SELECT, UPDATE ON outbox_readers TO redress_app;
-- Events written before mail existed are not mailed about now.
INSERT INTO outbox_readers (name, txid, seq)
SELECT 'mail', coalesce(last.txid, '0'::xid8), coalesce(last.seq, 0)
FROM (SELECT 1) AS one LEFT JOIN (SELECT txid, seq FROM outbox_events ORDER BY txid DESC, seq DESC LIMIT 1) AS last ON true;

-- The notifier (the system) reads the addresses and languages of the people it mails.
CREATE POLICY notifier_reads_recipients ON accounts FOR SELECT USING (redress_actor_role() = 'system');
