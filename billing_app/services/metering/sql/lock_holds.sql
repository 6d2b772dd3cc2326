-- Authorize, step 1 of 2 (postgres.py; one transaction, pipelined with place_holds.sql).
-- For each org of the batch: drop its holds expired at its first call's moment, and take
-- its hold_total row lock (creating the row), in org_id order so two batches never deadlock.
--
-- $1 org_id      bigint[]       the batch's orgs, sorted
-- $2 created_at  timestamptz[]  each org's first call's moment
WITH org_now AS (
  SELECT * FROM unnest($1::bigint[], $2::timestamptz[]) AS org_now (org_id, created_at)
),
swept AS (
  DELETE FROM hold USING org_now WHERE hold.org_id = org_now.org_id AND hold.expires_at <= org_now.created_at
  RETURNING hold.org_id, hold.amount_micros
)
INSERT INTO hold_total (org_id, held_micros)
SELECT org_now.org_id, -coalesce((SELECT sum(swept.amount_micros) FROM swept WHERE swept.org_id = org_now.org_id), 0)
FROM org_now ORDER BY org_now.org_id
ON CONFLICT (org_id) DO UPDATE SET held_micros = hold_total.held_micros + excluded.held_micros
