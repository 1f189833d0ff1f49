-- 0035: a platform that hands a case to its merchant keeps its own deadline: held while the merchant
-- has the case and restored when it comes back, so that the hand-off never buys the platform time.
ALTER TABLE complaints ADD COLUMN platform_deadline_held_at timestamptz;
GRANT UPDATE (platform_deadline_held_at) ON complaints TO redress_app;
-- The held deadline may already have been warned of to the merchant: a warning is of a deadline in a
-- state, so that the platform is warned of the same time when the case is back with it.
ALTER TABLE deadline_warnings ADD COLUMN state text NOT NULL DEFAULT '';
ALTER TABLE deadline_warnings DROP CONSTRAINT deadline_warnings_pkey;
ALTER TABLE deadline_warnings ADD PRIMARY KEY (complaint_id, deadline_at, state);
