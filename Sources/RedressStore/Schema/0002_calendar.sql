-- 0002: the working-day calendar.
--
-- Days that differ from their weekday: official holidays (rest) and make-up working days (调休上班).
-- Seeded with the official mainland China schedule for 2025 and 2026 (Schema/data/, copied from the
-- State Council's notices); an admin extends it through the API. Days not listed follow their weekday.

CREATE TABLE calendar_days (
    day date PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    updated_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO calendar_days (day, kind, name) VALUES
    ('2025-01-01', 'holiday', '元旦 New Year'),
    ('2025-01-26', 'workday', '春节调休 Spring Festival make-up'),
    ('2025-01-28', 'holiday', '春节 Spring Festival'),
    ('2025-01-29', 'holiday', '春节 Spring Festival'),
    ('2025-01-30', 'holiday', '春节 Spring Festival'),
    ('2025-01-31', 'holiday', '春节 Spring Festival'),
    ('2025-02-01', 'holiday', '春节 Spring Festival'),
    ('2025-02-02', 'holiday', '春节 Spring Festival'),
    ('2025-02-03', 'holiday', '春节 Spring Festival'),
    ('2025-02-04', 'holiday', '春节 Spring Festival'),
    ('2025-02-08', 'workday', '春节调休 Spring Festival make-up'),
    ('2025-04-04', 'holiday', '清明节 Qingming'),
    ('2025-04-05', 'holiday', '清明节 Qingming'),
    ('2025-04-06', 'holiday', '清明节 Qingming'),
    ('2025-04-27', 'workday', '劳动节调休 Labour Day make-up'),
    ('2025-05-01', 'holiday', '劳动节 Labour Day'),
    ('2025-05-02', 'holiday', '劳动节 Labour Day'),
    ('2025-05-03', 'holiday', '劳动节 Labour Day'),
    ('2025-05-04', 'holiday', '劳动节 Labour Day'),
    ('2025-05-05', 'holiday', '劳动节 Labour Day'),
    ('2025-05-31', 'holiday', '端午节 Dragon Boat'),
    ('2025-06-01', 'holiday', '端午节 Dragon Boat'),
    ('2025-06-02', 'holiday', '端午节 Dragon Boat'),
    ('2025-09-28', 'workday', '国庆节调休 National Day make-up'),
    ('2025-10-01', 'holiday', '国庆节、中秋节 National Day & Mid-Autumn'),
    ('2025-10-02', 'holiday', '国庆节、中秋节 National Day & Mid-Autumn'),
    ('2025-10-03', 'holiday', '国庆节、中秋节 National Day & Mid-Autumn'),
    ('2025-10-04', 'holiday', '国庆节、中秋节 National Day & Mid-Autumn'),
    ('2025-10-05', 'holiday', '国庆节、中秋节 National Day & Mid-Autumn'),
    ('2025-10-06', 'holiday', '国庆节、中秋节 National Day & Mid-Autumn'),
    ('2025-10-07', 'holiday', '国庆节、中秋节 National Day & Mid-Autumn'),
    ('2025-10-08', 'holiday', '国庆节、中秋节 National Day & Mid-Autumn'),
    ('2025-10-11', 'workday', '国庆节调休 National Day make-up'),
    ('2026-01-01', 'holiday', '元旦 New Year'),
    ('2026-01-02', 'holiday', '元旦 New Year'),
    ('2026-01-03', 'holiday', '元旦 New Year'),
    ('2026-01-04', 'workday', '元旦调休 New Year make-up'),
    ('2026-02-14', 'workday', '春节调休 Spring Festival make-up'),
    ('2026-02-15', 'holiday', '春节 Spring Festival'),
    ('2026-02-16', 'holiday', '春节 Spring Festival'),
    ('2026-02-17', 'holiday', '春节 Spring Festival'),
    ('2026-02-18', 'holiday', '春节 Spring Festival'),
    ('2026-02-19', 'holiday', '春节 Spring Festival'),
    ('2026-02-20', 'holiday', '春节 Spring Festival'),
    ('2026-02-21', 'holiday', '春节 Spring Festival'),
    ('2026-02-22', 'holiday', '春节 Spring Festival'),
    ('2026-02-23', 'holiday', '春节 Spring Festival'),
    ('2026-02-28', 'workday', '春节调休 Spring Festival make-up'),
    ('2026-04-04', 'holiday', '清明节 Qingming'),
    ('2026-04-05', 'holiday', '清明节 Qingming'),
    ('2026-04-06', 'holiday', '清明节 Qingming'),
    ('2026-05-01', 'holiday', '劳动节 Labour Day'),
    ('2026-05-02', 'holiday', '劳动节 Labour Day'),
    ('2026-05-03', 'holiday', '劳动节 Labour Day'),
    ('2026-05-04', 'holiday', '劳动节 Labour Day'),
    ('2026-05-05', 'holiday', '劳动节 Labour Day'),
    ('2026-05-09', 'workday', '劳动节调休 Labour Day make-up'),
    ('2026-06-19', 'holiday', '端午节 Dragon Boat'),
    ('2026-06-20', 'holiday', '端午节 Dragon Boat'),
    ('2026-06-21', 'holiday', '端午节 Dragon Boat'),
    ('2026-09-20', 'workday', '国庆节调休 National Day make-up'),
    ('2026-09-25', 'holiday', '中秋节 Mid-Autumn'),
    ('2026-09-26', 'holiday', '中秋节 Mid-Autumn'),
    ('2026-09-27', 'holiday', '中秋节 Mid-Autumn'),
    ('2026-10-01', 'holiday', '国庆节 National Day'),
    ('2026-10-02', 'holiday', '国庆节 National Day'),
    ('2026-10-03', 'holiday', '国庆节 National Day'),
    ('2026-10-04', 'holiday', '国庆节 National Day'),
    ('2026-10-05', 'holiday', '国庆节 National Day'),
    ('2026-10-06', 'holiday', '国庆节 National Day'),
    ('2026-10-07', 'holiday', '国庆节 National Day'),
    ('2026-10-10', 'workday', '国庆节调休 National Day make-up');

ALTER TABLE calendar_days ENABLE ROW LEVEL SECURITY;
ALTER TABLE calendar_days FORCE ROW LEVEL SECURITY;
-- Public fact: any caller the service has identified may read it; only an admin changes it.
CREATE POLICY calendar_read ON calendar_days FOR SELECT USING (redress_actor_role() IS NOT NULL);
CREATE POLICY calendar_insert ON calendar_days FOR INSERT WITH CHECK (redress_actor_role() IN ('admin', 'cli'));
CREATE POLICY calendar_update ON calendar_days FOR UPDATE USING (redress_actor_role() IN ('admin', 'cli'));
CREATE POLICY calendar_delete ON calendar_days FOR DELETE USING (redress_actor_role() IN ('admin', 'cli'));

GRANT SELECT, INSERT, UPDATE, DELETE ON calendar_days TO redress_app;
