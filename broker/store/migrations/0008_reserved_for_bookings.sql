-- Reserved: the bookings branch ships migration 0008. This placeholder keeps the numbers
-- 1..n on the hub branch; when the two meet, the bookings file replaces this one.
SELECT 1;
