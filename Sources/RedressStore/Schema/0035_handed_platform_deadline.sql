-- 0035: a platform that hands a case to its merchant keeps its own deadline: held while the merchant
-- has the case and restored when it comes back, so that the hand-off never buys the platform time.
ALTER TABLE complaints ADD COLUMN platform_deadline_held_at timestamptz;
GRANT UPDATE (platform_deadline_held_at) ON complaints TO redress_app;
