-- Authorize, step 2 of 2 (postgres.py), after lock_holds.sql in its transaction: a new
-- snapshot, so the latest balance. In the batch's order, a call is placed while its org's
-- balance − holds, with the holds placed before it, is > 0 (rules.Funds: once one is
-- refused every later one is, so a running sum gives the same answers as one by one). A
-- call whose (key, request_id) has a hold gets that hold back.
--
-- One row per call (rules.HoldRow's columns, after n):
-- $1 n           int[]          the call's place in the batch
-- $2 org_id      bigint[]
-- $3 key_id      bigint[]
-- $4 request_id  varchar[]
-- $5 model       varchar[]
-- $6 amount      bigint[]
-- $7 created_at  timestamptz[]
-- $8 expires_at  timestamptz[]
--
-- Rows: ('placed', n, hold id, NULL, NULL) per hold placed; ('existing', n, hold id,
-- amount, expires_at) per call that had one; ('funds', org id, balance, hold total before
-- the batch, NULL) per org.
WITH call AS (
  SELECT * FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::varchar[], $5::varchar[], $6::bigint[],
    $7::timestamptz[], $8::timestamptz[])
    AS call_row (n, org_id, key_id, request_id, model, amount, created_at, expires_at)
),
existing AS (
  SELECT call.n, hold.id, hold.amount_micros, hold.expires_at
  FROM call JOIN hold ON hold.api_key_id = call.key_id AND hold.request_id = call.request_id
),
funds AS (
  SELECT org.id AS org_id, org.balance_micros AS balance, hold_total.held_micros AS held
  FROM org JOIN hold_total ON hold_total.org_id = org.id
  WHERE org.id IN (SELECT org_id FROM call)
),
asked AS (
  SELECT call.*, funds.balance - funds.held - coalesce(sum(call.amount) OVER (
    PARTITION BY call.org_id ORDER BY call.n ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS room
  FROM call JOIN funds ON funds.org_id = call.org_id
  WHERE call.n NOT IN (SELECT n FROM existing)
),
placed AS (
  INSERT INTO hold (org_id, api_key_id, request_id, model, amount_micros, created_at, expires_at)
  SELECT org_id, key_id, request_id, model, amount, created_at, expires_at FROM asked WHERE room > 0 ORDER BY n
  ON CONFLICT (api_key_id, request_id) DO NOTHING
  RETURNING id, org_id, api_key_id, request_id, amount_micros
),
reserved AS (
  UPDATE hold_total SET held_micros = hold_total.held_micros + placed_sums.amount
  FROM (SELECT org_id, sum(amount_micros) AS amount FROM placed GROUP BY org_id) AS placed_sums
  WHERE hold_total.org_id = placed_sums.org_id
  RETURNING hold_total.org_id
)
SELECT 'placed', call.n, placed.id, NULL::bigint, NULL::timestamptz
FROM placed JOIN call ON call.key_id = placed.api_key_id AND call.request_id = placed.request_id
UNION ALL
SELECT 'existing', n, id, amount_micros, expires_at FROM existing
UNION ALL
SELECT 'funds', org_id, balance, held, NULL FROM funds
