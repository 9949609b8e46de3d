/**
 * The schema of `<data>/pressroom.db`, as an ordered list of migrations.
 * `PRAGMA user_version` holds how many have run. Append; never edit one that shipped.
 * @module
 */

export const MIGRATIONS: readonly string[] = [
  // 1: the money path.
  `
  -- One row per model call, append-only. The first twelve columns keep the names
  -- that SQL already written against such a log expects.
  CREATE TABLE ai_call_log (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    workflow_instance_id TEXT NOT NULL,
    model TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cache_read_tokens INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    usd_cost REAL NOT NULL,
    tool_calls_made INTEGER NOT NULL,
    tool_calls_succeeded INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    cost_nano_usd INTEGER NOT NULL,
    reserved_nano_usd INTEGER NOT NULL,
    cache_write_5m_tokens INTEGER NOT NULL,
    cache_write_1h_tokens INTEGER NOT NULL,
    web_search_requests INTEGER NOT NULL,
    stop_reason TEXT,
    status TEXT NOT NULL CHECK (status IN ('ok', 'api_error', 'orphaned')),
    request_id TEXT,
    latency_ms INTEGER,
    turn INTEGER,
    backend TEXT NOT NULL CHECK (backend IN ('anthropic', 'sim')),
    attempts INTEGER,
    error TEXT
  );
  CREATE INDEX ai_call_log_workflow ON ai_call_log (workflow_instance_id);
  CREATE INDEX ai_call_log_ts ON ai_call_log (ts);
  CREATE TRIGGER ai_call_log_no_update BEFORE UPDATE ON ai_call_log
    BEGIN SELECT RAISE(ABORT, 'ai_call_log is append-only'); END;
  CREATE TRIGGER ai_call_log_no_delete BEFORE DELETE ON ai_call_log
    BEGIN SELECT RAISE(ABORT, 'ai_call_log is append-only'); END;

  -- Spend rolled up per 15-minute bucket (epoch ms / 900000) and model, written in the
  -- same transaction as each ledger row, so a cap check reads a few dozen rows
  -- whatever the size of the log. Every time zone offset is a multiple of 15 minutes.
  CREATE TABLE spend_bucket (
    bucket INTEGER NOT NULL,
    model TEXT NOT NULL,
    cost_nano_usd INTEGER NOT NULL,
    calls INTEGER NOT NULL,
    PRIMARY KEY (bucket, model)
  ) WITHOUT ROWID;
  CREATE TABLE spend_workflow (
    workflow_instance_id TEXT PRIMARY KEY,
    cost_nano_usd INTEGER NOT NULL
  ) WITHOUT ROWID;

  -- Calls in flight: each holds its worst-case cost until its ledger row replaces it.
  CREATE TABLE reservation (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    workflow_instance_id TEXT NOT NULL,
    model TEXT NOT NULL,
    ts INTEGER NOT NULL,
    cost_nano_usd INTEGER NOT NULL,
    turn INTEGER,
    backend TEXT NOT NULL
  );
  CREATE INDEX reservation_workflow ON reservation (workflow_instance_id);
  CREATE INDEX reservation_owner ON reservation (owner);

  -- Calls a cap refused before anything was sent.
  CREATE TABLE cap_refusal (
    id INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL,
    cap TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    workflow_instance_id TEXT NOT NULL,
    model TEXT NOT NULL,
    request_nano_usd INTEGER NOT NULL,
    spent_nano_usd INTEGER NOT NULL,
    reserved_nano_usd INTEGER NOT NULL,
    limit_nano_usd INTEGER NOT NULL
  );
  CREATE INDEX cap_refusal_ts ON cap_refusal (ts);
  `,
  // 2: workflows, their tool calls and their history.
  `
  CREATE TABLE workflow (
    id TEXT PRIMARY KEY,
    topic TEXT NOT NULL,
    created_ts INTEGER NOT NULL,
    updated_ts INTEGER NOT NULL,
    -- intake … publisher, or done
    stage TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ready', 'waiting', 'stuck', 'flagged', 'published')),
    -- JSON {agent: model}: pinned when the workflow was created
    models TEXT NOT NULL,
    -- JSON ContentState
    state TEXT NOT NULL,
    reason TEXT,
    wait_until INTEGER,
    published_path TEXT
  );
  CREATE INDEX workflow_status ON workflow (status, stage);

  -- Every tool call a model made, classified; call_id is the ai_call_log row of the response.
  CREATE TABLE tool_call (
    id INTEGER PRIMARY KEY,
    call_id TEXT NOT NULL,
    workflow_instance_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    model TEXT NOT NULL,
    turn INTEGER NOT NULL,
    tool TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'wrong_tool', 'malformed_args', 'logic_error')),
    message TEXT,
    ts INTEGER NOT NULL
  );
  CREATE INDEX tool_call_call ON tool_call (call_id);
  CREATE INDEX tool_call_workflow ON tool_call (workflow_instance_id);

  -- What happened to each workflow: created, stage_done (detail: turns), nudge, waiting, stuck, …
  CREATE TABLE workflow_event (
    id INTEGER PRIMARY KEY,
    workflow_instance_id TEXT NOT NULL,
    ts INTEGER NOT NULL,
    stage TEXT,
    kind TEXT NOT NULL,
    detail TEXT
  );
  CREATE INDEX workflow_event_workflow ON workflow_event (workflow_instance_id);
  `,
  // 3: the daemon: leases on workflows, and agents a cap has paused.
  `
  -- A stage is worked by the process whose ledger owner id holds the lease. A lease of a dead
  -- process (its owner lock is gone) or an expired one may be taken over.
  ALTER TABLE workflow ADD COLUMN lease_owner TEXT;
  ALTER TABLE workflow ADD COLUMN lease_until INTEGER;
  -- The inbox file a workflow came from (name and content hash), so a crash between creating the
  -- workflow and moving the file cannot create it twice.
  ALTER TABLE workflow ADD COLUMN inbox_file TEXT;
  CREATE UNIQUE INDEX workflow_inbox_file ON workflow (inbox_file) WHERE inbox_file IS NOT NULL;

  -- An agent a cap refused stops claiming work until the cap resets; status shows why.
  CREATE TABLE agent_pause (
    agent_id TEXT PRIMARY KEY,
    cap TEXT NOT NULL,
    until INTEGER NOT NULL,
    ts INTEGER NOT NULL
  );
  `,
  // 4: alerts, each threshold of each cap at most once per period.
  `
  CREATE TABLE alert_fired (
    cap TEXT NOT NULL,
    threshold INTEGER NOT NULL,
    period_start INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    spent_nano_usd INTEGER NOT NULL,
    limit_nano_usd INTEGER NOT NULL,
    PRIMARY KEY (cap, threshold, period_start)
  ) WITHOUT ROWID;
  `,
  // 5: caps count each backend's own spend (a demo's simulated dollars never count toward a real run's
  // caps); refusals say which backend; cap holds replace agent pauses, so that a wait caused by a cap
  // lasts only while the caps in force would still refuse the call.
  `
  CREATE TABLE spend_bucket_by_backend (
    backend TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    model TEXT NOT NULL,
    cost_nano_usd INTEGER NOT NULL,
    calls INTEGER NOT NULL,
    PRIMARY KEY (backend, bucket, model)
  ) WITHOUT ROWID;
  INSERT INTO spend_bucket_by_backend (backend, bucket, model, cost_nano_usd, calls)
    SELECT backend, ts / 900000, model, SUM(cost_nano_usd), COUNT(*) FROM ai_call_log
    WHERE cost_nano_usd > 0 GROUP BY backend, ts / 900000, model;
  DROP TABLE spend_bucket;
  ALTER TABLE spend_bucket_by_backend RENAME TO spend_bucket;

  CREATE TABLE spend_workflow_by_backend (
    workflow_instance_id TEXT NOT NULL,
    backend TEXT NOT NULL,
    cost_nano_usd INTEGER NOT NULL,
    PRIMARY KEY (workflow_instance_id, backend)
  ) WITHOUT ROWID;
  INSERT INTO spend_workflow_by_backend (workflow_instance_id, backend, cost_nano_usd)
    SELECT workflow_instance_id, backend, SUM(cost_nano_usd) FROM ai_call_log
    WHERE cost_nano_usd > 0 GROUP BY workflow_instance_id, backend;
  DROP TABLE spend_workflow;
  ALTER TABLE spend_workflow_by_backend RENAME TO spend_workflow;

  ALTER TABLE cap_refusal ADD COLUMN backend TEXT NOT NULL DEFAULT 'anthropic'
    CHECK (backend IN ('anthropic', 'sim'));
  -- The refused call's max_tokens and the output price they were reserved at: a retry judges the call
  -- again with the agent's maxTokens as configured then.
  ALTER TABLE cap_refusal ADD COLUMN max_tokens INTEGER;
  ALTER TABLE cap_refusal ADD COLUMN output_nano_per_token INTEGER;
  CREATE INDEX cap_refusal_workflow ON cap_refusal (workflow_instance_id);
  -- Refusals made before the backend column: a workflow with simulated calls was the demo's.
  UPDATE cap_refusal SET backend = 'sim'
    WHERE workflow_instance_id IN (SELECT workflow_instance_id FROM ai_call_log WHERE backend = 'sim');

  -- A workflow a cap made wait, with the call that was refused: the hold lasts while the caps in force
  -- would still refuse that call. An agent with a hold that is not only for calls in flight is paused.
  CREATE TABLE cap_hold (
    workflow_instance_id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    model TEXT NOT NULL,
    backend TEXT NOT NULL CHECK (backend IN ('anthropic', 'sim')),
    cap TEXT NOT NULL,
    -- the refused call's worst case, of which max_tokens x output_nano_per_token was its output: judged
    -- again with the agent's maxTokens as configured now
    request_nano_usd INTEGER NOT NULL,
    max_tokens INTEGER NOT NULL,
    output_nano_per_token INTEGER NOT NULL,
    -- 1 when only other calls' open reservations stood in the way
    in_flight INTEGER NOT NULL,
    -- when the cap's period ends, or, in flight, when to look again
    until INTEGER NOT NULL,
    ts INTEGER NOT NULL
  );
  -- Where inference ran, as the response's usage said ("us" is billed 1.1x on the models that take it).
  ALTER TABLE ai_call_log ADD COLUMN inference_geo TEXT;

  -- Rows booked above their reservation (a response reporting usage its request does not allow), which
  -- doctor and report count without reading the whole log.
  CREATE INDEX ai_call_log_over_reservation ON ai_call_log (ts) WHERE cost_nano_usd > reserved_nano_usd;

  -- Pauses and waits made before holds knew nothing of the call they refused: they go back to
  -- ready, and a cap that still refuses says so again at the first call.
  DROP TABLE agent_pause;
  UPDATE workflow SET status = 'ready', reason = NULL, wait_until = NULL
    WHERE status = 'waiting' AND (reason LIKE 'waiting for cap %' OR reason LIKE 'waiting for calls in flight%');
  `,
  // 6: Message Batches.
  `
  -- A turn sent through a Message Batch: recorded with its reservation before the batch is created (so a
  -- process killed at any moment leaves what the next one needs to collect it), its batch id as soon as
  -- the API returns it, its result once the batch ended, and settled by the stage like a synchronous reply.
  CREATE TABLE batch_request (
    custom_id TEXT PRIMARY KEY,
    reservation_id TEXT NOT NULL UNIQUE,
    workflow_instance_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    model TEXT NOT NULL,
    turn INTEGER NOT NULL,
    -- the request as sent (no key), and the stage's progress it continues from (pipeline/turn.ts)
    params TEXT NOT NULL,
    progress TEXT NOT NULL,
    -- pending: recorded, not yet in a batch the API acknowledged; doubt: pending when its process died,
    -- so perhaps in a batch whose id was never recorded; sent: in batch_id; ended: result collected;
    -- settled: its ledger row written (or its reservation released)
    state TEXT NOT NULL CHECK (state IN ('pending', 'doubt', 'sent', 'ended', 'settled')),
    batch_id TEXT,
    result TEXT,
    ts INTEGER NOT NULL,
    sent_ts INTEGER,
    polled_ts INTEGER
  );
  CREATE INDEX batch_request_open ON batch_request (state, batch_id) WHERE state != 'settled';
  -- 1 for a call sent in a Message Batch (billed at batch prices when its usage says so).
  ALTER TABLE ai_call_log ADD COLUMN batch INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX batch_request_workflow ON batch_request (workflow_instance_id, state);
  `,
  // 7: cache TTLs per breakpoint and cache diagnostics.
  `
  -- The TTL of each breakpoint kind the request asked for: "<shared> <agent> <conversation>", e.g. "1h 1h 5m".
  ALTER TABLE ai_call_log ADD COLUMN cache_ttls TEXT;
  -- The response's id (msg_…): the next request's diagnostics.previous_message_id.
  ALTER TABLE ai_call_log ADD COLUMN message_id TEXT;
  -- Why the prompt cache could not reuse the previous request's prefix, as the API's diagnostics said
  -- (model_changed, system_changed, tools_changed, messages_changed, previous_message_not_found, unavailable),
  -- and the input tokens it says would have been read.
  ALTER TABLE ai_call_log ADD COLUMN cache_miss_reason TEXT;
  ALTER TABLE ai_call_log ADD COLUMN cache_missed_tokens INTEGER;
  CREATE INDEX ai_call_log_agent_ts ON ai_call_log (agent_id, ts);
  `,
  // 8: canaries.
  `
  -- Which arm of an agent's canary each workflow created while it ran drew, with both arms' models: the
  -- A/B that pressroom rollout reads, kept after the canary ends.
  CREATE TABLE canary_arm (
    workflow_instance_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    arm TEXT NOT NULL CHECK (arm IN ('canary', 'control')),
    model TEXT NOT NULL,
    canary_model TEXT NOT NULL,
    control_model TEXT NOT NULL,
    share REAL NOT NULL,
    ts INTEGER NOT NULL,
    PRIMARY KEY (workflow_instance_id, agent_id)
  ) WITHOUT ROWID;
  CREATE INDEX canary_arm_agent ON canary_arm (agent_id, ts);
  `,
];
