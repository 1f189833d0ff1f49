-- 0013: money within bounds. The service refuses amounts above ¥10,000,000 (1,000,000,000 fen), any
-- currency but CNY, refunds above what was paid; the database holds every new or changed complaint to
-- the same rules, so that no sum of a platform's figures can leave bigint. NOT VALID: a row written
-- before these rules is not rejected by this migration (statistics saturate over it instead).
ALTER TABLE complaints
    ADD CONSTRAINT complaints_amount_paid_bounded CHECK (amount_paid BETWEEN 0 AND 1000000000) NOT VALID,
    ADD CONSTRAINT complaints_currency_cny CHECK (currency = 'CNY') NOT VALID,
    ADD CONSTRAINT complaints_refund_claimed_bounded CHECK (refund_claimed BETWEEN 0 AND amount_paid) NOT VALID,
    ADD CONSTRAINT complaints_agreed_refund_bounded CHECK (agreed_refund IS NULL OR agreed_refund BETWEEN 0 AND amount_paid) NOT VALID;
