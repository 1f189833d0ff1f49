-- 0030: call recordings are evidence (MP3, AAC, M4A, AMR), kept with their length in seconds.
ALTER TABLE evidence ADD COLUMN duration_seconds integer CHECK (duration_seconds BETWEEN 1 AND 10800);
