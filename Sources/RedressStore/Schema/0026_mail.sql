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

-- The events waiting to be turned into mails: queued with the event (by a trigger, as
-- the owner) and taken by the notifier of any replica with FOR UPDATE SKIP LOCKED. No order is
-- needed, so no transaction elsewhere in the cluster holds mail back (the feed's commit order would).
CREATE TABLE notification_queue (
    event_id uuid PRIMARY KEY REFERENCES outbox_events (id)
);
ALTER TABLE notification_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification_queue FORCE ROW LEVEL SECURITY;
CREATE POLICY notification_queue_fan_out ON notification_queue FOR INSERT TO CURRENT_USER WITH CHECK (true);
CREATE POLICY notification_queue_system ON notification_queue FOR ALL
    USING (redress_actor_role() = 'system') WITH CHECK (redress_actor_role() = 'system');
-- (UPDATE only for FOR UPDATE, which the taking needs.)
GRANT SELECT, UPDATE, DELETE ON notification_queue TO redress_app;

-- Runs as the owner, beside the webhook fan-out: whoever caused the event may not write the queue.
-- An internal note is mailed to nobody.
CREATE FUNCTION outbox_queue_notification() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    IF NEW.internal_org IS NULL THEN
        INSERT INTO notification_queue (event_id) VALUES (NEW.id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events
    FOR EACH ROW EXECUTE FUNCTION outbox_queue_notification();

-- The notifier (the system) reads the addresses and languages of the people it mails.
CREATE POLICY notifier_reads_recipients ON accounts FOR SELECT USING (redress_actor_role() = 'system');
