-- 0045: the primary key's index also carries each event's two hashes. Verifying the whole store
-- compares every link in chain order; with the hashes in the index that is an index-only scan,
-- where before it read the table's pages at random (they are stored in time order, not chain order)
-- and copied most of them into shared buffers more than once.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_pkey;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_pkey PRIMARY KEY (chain_id, seq) INCLUDE (prev_hash, hash);
