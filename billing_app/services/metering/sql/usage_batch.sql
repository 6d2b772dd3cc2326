-- Usage: the calls of a batch (no two with the same key and request_id) in one statement
-- (postgres.py). Each call's event, unless the (key, request_id) has one (a replay writes
-- nothing); its hold settled; per org one debit, deciding the low-balance alert (the rule
-- of services/alerts.py's alert_due) and queuing its email; per (org, IST day, key, model)
-- one rollup update; per key one month-spend update, as the calls one by one would leave it
-- (rules.spend_runs: a change of IST month starts the spend over).
--
-- One row per call (rules.UsageRow's columns, after n):
-- $1  n                  int[]          the call's place in the batch
-- $2  org_id             bigint[]
-- $3  key_id             bigint[]
-- $4  request_id         varchar[]
-- $5  model              varchar[]
-- $6  mode               varchar[]
-- $7  prompt_tokens      bigint[]
-- $8  completion_tokens  bigint[]
-- $9  input_rate         bigint[]
-- $10 output_rate        bigint[]
-- $11 markup             int[]
-- $12 cost               bigint[]
-- $13 created_at         timestamptz[]
-- $14 day                date[]         the IST day
-- $15 month              int[]          the IST month, YYYYMM
-- and for the batch:
-- $16 cutoff             timestamptz    24 hours before now: an alert since then means none is due
-- $17 now                timestamptz    the batch's last call's moment
--
-- Rows: ('new', n, NULL) per call debited; ('replay', n, the first cost) per call whose
-- event was there before; ('balance', org id, balance) per org of the batch, after it.
--
-- Row locks come in an order two batches share: the events are inserted in (key,
-- request_id) order, the orgs are locked in id order, and the rows updated after that (hold
-- totals, rollups, the key's spend) belong to those orgs. (PostgreSQL does not promise the
-- order in which a statement's CTEs run; should it find a deadlock between two app workers'
-- batches, it aborts one, and the service makes that batch's calls again one by one.)
WITH call AS (
  SELECT * FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::varchar[], $5::varchar[], $6::varchar[],
    $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::int[], $12::bigint[], $13::timestamptz[],
    $14::date[], $15::int[])
    AS call_row (n, org_id, key_id, request_id, model, mode, prompt_tokens, completion_tokens, input_rate,
      output_rate, markup, cost, created_at, day, month)
),
event AS (
  INSERT INTO usage_event (org_id, api_key_id, request_id, model, routing_mode, prompt_tokens, completion_tokens,
    input_micros_per_million, output_micros_per_million, markup_percent, cost_micros, created_at)
  SELECT org_id, key_id, request_id, model, mode, prompt_tokens, completion_tokens, input_rate, output_rate, markup,
    cost, created_at
  FROM call ORDER BY key_id, request_id
  ON CONFLICT (api_key_id, request_id) DO NOTHING
  RETURNING api_key_id, request_id
),
new AS (SELECT call.* FROM call JOIN event ON event.api_key_id = call.key_id AND event.request_id = call.request_id),
settled AS (
  DELETE FROM hold USING new WHERE hold.api_key_id = new.key_id AND hold.request_id = new.request_id
  RETURNING hold.org_id, hold.amount_micros
),
released AS (
  UPDATE hold_total SET held_micros = hold_total.held_micros - settled_sums.amount
  FROM (SELECT org_id, sum(amount_micros) AS amount FROM settled GROUP BY org_id ORDER BY org_id) AS settled_sums
  WHERE hold_total.org_id = settled_sums.org_id
  RETURNING hold_total.org_id
),
per_org AS (SELECT org_id, sum(cost) AS cost FROM new GROUP BY org_id),
locked AS (
  SELECT org.id, per_org.cost,
    org.low_balance_threshold_micros IS NOT NULL
      AND org.low_balance_threshold_micros > org.balance_micros - per_org.cost
      AND (org.last_low_balance_alert_at IS NULL OR org.last_low_balance_alert_at <= $16::timestamptz) AS alerted
  FROM org JOIN per_org ON per_org.org_id = org.id
  ORDER BY org.id FOR NO KEY UPDATE OF org
),
debited AS (
  UPDATE org SET balance_micros = org.balance_micros - locked.cost,
    last_low_balance_alert_at = CASE WHEN locked.alerted THEN $17::timestamptz ELSE org.last_low_balance_alert_at END
  FROM locked WHERE org.id = locked.id
  RETURNING org.id, org.balance_micros, org.low_balance_threshold_micros, org.currency, locked.alerted
),
queued AS (
  INSERT INTO email_outbox (org_id, kind, payload, status, attempts, next_attempt_at, created_at)
  SELECT id, 'low_balance',
    CAST(json_build_object('balance_micros', balance_micros, 'threshold_micros', low_balance_threshold_micros,
      'currency', currency) AS TEXT),
    'pending', 0, $17::timestamptz, $17::timestamptz
  FROM debited WHERE alerted
  RETURNING email_outbox.id
),
day_sums (org_id, day, api_key_id, model, requests, prompt_tokens, completion_tokens, cost_micros) AS (
  SELECT org_id, day, key_id, model, count(*), sum(prompt_tokens), sum(completion_tokens), sum(cost)
  FROM new GROUP BY org_id, day, key_id, model ORDER BY org_id, day, key_id, model
),
rolled AS (
  INSERT INTO usage_daily (org_id, day, api_key_id, model, requests, prompt_tokens, completion_tokens, cost_micros)
  SELECT * FROM day_sums
  ON CONFLICT (org_id, day, api_key_id, model) DO UPDATE SET
    requests = usage_daily.requests + excluded.requests,
    prompt_tokens = usage_daily.prompt_tokens + excluded.prompt_tokens,
    completion_tokens = usage_daily.completion_tokens + excluded.completion_tokens,
    cost_micros = usage_daily.cost_micros + excluded.cost_micros
  RETURNING usage_daily.org_id
),
months AS (
  SELECT key_id, n, month, cost, created_at,
    CASE WHEN month = lag(month) OVER (PARTITION BY key_id ORDER BY n) THEN 0 ELSE 1 END AS starts_run
  FROM new
),
runs AS (SELECT *, sum(starts_run) OVER (PARTITION BY key_id ORDER BY n) AS run FROM months),
key_spend AS (
  SELECT DISTINCT ON (key_id) key_id, month, created_at, run, sum(cost) OVER (PARTITION BY key_id, run) AS cost
  FROM runs ORDER BY key_id, n DESC
),
spent AS (
  UPDATE api_key SET
    month_spend_micros = CASE WHEN key_spend.run = 1 AND api_key.spend_month = key_spend.month
      THEN api_key.month_spend_micros + key_spend.cost ELSE key_spend.cost END,
    spend_month = key_spend.month,
    last_used_at = key_spend.created_at
  FROM key_spend WHERE api_key.id = key_spend.key_id
  RETURNING api_key.id
)
SELECT 'new', n, NULL::bigint FROM new
UNION ALL
SELECT 'replay', call.n, usage_event.cost_micros
FROM call JOIN usage_event ON usage_event.api_key_id = call.key_id AND usage_event.request_id = call.request_id
UNION ALL
SELECT 'balance', id, balance_micros FROM debited
UNION ALL
SELECT 'balance', org.id, org.balance_micros FROM org
WHERE org.id IN (SELECT org_id FROM call) AND org.id NOT IN (SELECT org_id FROM per_org)
