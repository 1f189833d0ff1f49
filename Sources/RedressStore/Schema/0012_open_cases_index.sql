-- 0012: the open cases by state, for the `redress_complaints_open` and `redress_complaints_overdue`
-- gauges that every scrape of /metrics reads: a few thousand index entries, not a million rows.
CREATE INDEX complaints_open_by_state ON complaints (state, overdue)
    WHERE state NOT IN ('closed_resolved', 'referred', 'withdrawn');
