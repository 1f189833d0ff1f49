-- 0029: the delivery log is kept for 30 days after a delivery ends (delivered or dead); the
-- retention job (the system) deletes what is older.
CREATE POLICY webhook_delivery_forget ON webhook_deliveries FOR DELETE USING (redress_actor_role() = 'system');
GRANT DELETE ON webhook_deliveries TO redress_app;
