-- 0024: webhooks. An organisation (a platform, a mediation body) registers endpoints with the event
-- types it wants; each event of the outbox becomes one delivery per matching endpoint, in the
-- transaction that wrote the event, so a delivery exists exactly when its event does. Delivery
-- workers in every replica claim due deliveries with FOR UPDATE SKIP LOCKED.

CREATE TABLE webhook_endpoints (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    url text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    event_types text[] NOT NULL CHECK (cardinality(event_types) BETWEEN 1 AND 64),
    description text CHECK (length(description) <= 500),
    -- The signing secret, sealed with the service's key (never in clear); while a rotation runs,
    -- the one before it too, until it expires.
    secret text NOT NULL,
    previous_secret text,
    previous_secret_expires_at timestamptz,
    created_at timestamptz NOT NULL,
    disabled_at timestamptz
);
CREATE INDEX webhook_endpoints_by_org ON webhook_endpoints (organization_id, created_at, id);

CREATE TABLE webhook_deliveries (
    id uuid PRIMARY KEY,
    endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id),
    organization_id uuid NOT NULL,
    event_id uuid NOT NULL REFERENCES outbox_events (id),
    -- The event's type and case, so that the log reads without the event (whose case may have moved).
    event_type text NOT NULL,
    complaint_id uuid NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- When the next attempt is due; a claimed delivery's lease (a worker that dies leaves it due again).
    next_attempt_at timestamptz NOT NULL,
    last_attempt_at timestamptz,
    last_status integer,
    last_latency_ms integer,
    last_error text CHECK (length(last_error) <= 500),
    delivered_at timestamptz,
    created_at timestamptz NOT NULL,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);

-- Only an organisation's administrator (platform_admin, mediation_lead) reads and manages its
-- endpoints and their deliveries; the delivery workers (system) read and update all of them. Rows
-- of deliveries are written only by the trigger below, which runs as the owner.
ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_endpoint_fan_out ON webhook_endpoints FOR SELECT TO CURRENT_USER USING (true);
CREATE POLICY webhook_delivery_fan_out ON webhook_deliveries FOR INSERT TO CURRENT_USER WITH CHECK (true);

CREATE FUNCTION redress_may_manage_webhooks(org uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT redress_actor_role() = 'system'
        OR (redress_actor_role() IN ('platform_admin', 'mediation_lead') AND org = redress_actor_org())
$$;
CREATE POLICY webhook_endpoint_admin ON webhook_endpoints FOR ALL
    USING (redress_may_manage_webhooks(organization_id)) WITH CHECK (redress_may_manage_webhooks(organization_id));
CREATE POLICY webhook_delivery_read ON webhook_deliveries FOR SELECT USING (redress_may_manage_webhooks(organization_id));
CREATE POLICY webhook_delivery_update ON webhook_deliveries FOR UPDATE
    USING (redress_may_manage_webhooks(organization_id)) WITH CHECK (redress_may_manage_webhooks(organization_id));

GRANT SELECT, INSERT, UPDATE ON webhook_endpoints TO redress_app;
GRANT SELECT ON webhook_deliveries TO redress_app;
GRANT UPDATE (state, attempts, next_attempt_at, last_attempt_at, last_status, last_latency_ms, last_error, delivered_at)
    ON webhook_deliveries TO redress_app;

-- One delivery per endpoint that wants the event and whose organisation may hear of it: the case's
-- platform (never a rating: it could press for a better one) and the mediation body it was escalated
-- to; an internal note only to its own organisation. Runs as the owner: whoever caused the event may
-- not read the endpoints.
CREATE FUNCTION outbox_fan_out() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    INSERT INTO webhook_deliveries (id, endpoint_id, organization_id, event_id, event_type, complaint_id, next_attempt_at, created_at)
    SELECT gen_random_uuid(), e.id, e.organization_id, NEW.id, NEW.type, NEW.complaint_id, NEW.occurred_at, NEW.occurred_at
    FROM complaints c JOIN webhook_endpoints e
      ON e.organization_id = c.platform_id AND NOT NEW.hidden_from_platform
      OR e.organization_id = c.mediation_body_id
    WHERE c.id = NEW.complaint_id AND e.disabled_at IS NULL
      AND (NEW.type = ANY (e.event_types) OR '*' = ANY (e.event_types))
      AND (NEW.internal_org IS NULL OR NEW.internal_org = e.organization_id);
    RETURN NULL;
END
$$;
CREATE TRIGGER outbox_events_fan_out AFTER INSERT ON outbox_events
    FOR EACH ROW EXECUTE FUNCTION outbox_fan_out();

-- The delivery workers (system) read every event they deliver, an internal note's included.
DROP POLICY outbox_read ON outbox_events;
CREATE POLICY outbox_read ON outbox_events FOR SELECT USING (
    EXISTS (SELECT 1 FROM complaints c WHERE c.id = complaint_id
            AND redress_may_see_complaint(c.consumer_id, c.platform_id, c.merchant_id, c.mediation_body_id))
    AND (internal_org IS NULL OR internal_org = redress_actor_org() OR redress_actor_role() = 'system')
    AND NOT (hidden_from_platform AND redress_actor_role() IN ('platform_staff', 'platform_admin', 'merchant_staff')));
