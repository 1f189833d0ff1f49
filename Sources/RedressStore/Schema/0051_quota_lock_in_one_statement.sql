-- 0051: the lock behind a per-caller limit (filings per consumer, messages per case, versions of a
-- platform's terms) in one statement instead of three: the wait for the lock is bounded for this
-- lock only, and the deployment's own lock_timeout is in force again once the function returns. A
-- function's SET clause saves the setting on entry and restores it on exit, and it confines what
-- set_config(..., true) changes inside the function to the function. A wait that is not positive
-- would mean waiting for ever (lock_timeout 0): refused.
CREATE FUNCTION redress_take_quota_lock(lock_class integer, subject text, wait_milliseconds integer)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    SET lock_timeout = 0
AS $$
BEGIN
    IF wait_milliseconds IS NULL OR wait_milliseconds < 1 THEN
        RAISE EXCEPTION 'the wait for a limit''s lock must be at least a millisecond' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM set_config('lock_timeout', wait_milliseconds || 'ms', true);
    PERFORM pg_advisory_xact_lock(lock_class, hashtext(subject));
END
$$;

REVOKE ALL ON FUNCTION redress_take_quota_lock(integer, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION redress_take_quota_lock(integer, text, integer) TO redress_app;
