-- Recovery and observation: a failed job can be reopened at the stage it failed in (an
-- operator's DLQ redrive), and every Lambda execution environment registers itself.

INSERT INTO job_state_transitions (from_state, to_state) VALUES
    ('failed', 'upload_validated'),
    ('failed', 'parsed'),
    ('failed', 'chunked'),
    ('failed', 'embedded');

-- One row per execution environment (a Lambda sandbox or a local runner), written once at init
-- and refreshed by every invocation; the sweeper prunes rows not seen for a day.
CREATE TABLE execution_environments (
    id             uuid        PRIMARY KEY,
    function_name  text        NOT NULL,
    function_version text      NOT NULL,
    memory_mb      integer     CHECK (memory_mb > 0),
    log_stream     text,
    started_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    invocations    bigint      NOT NULL DEFAULT 0 CHECK (invocations >= 0)
);

CREATE INDEX execution_environments_seen_idx ON execution_environments (last_seen_at);

-- A done document carries its timings: total (upload admitted → done) and per stage (ready →
-- done, so queue wait included), computed by finalize from the transition events.
ALTER TABLE documents
    ADD COLUMN duration_ms bigint CHECK (duration_ms >= 0),
    ADD COLUMN stage_durations_ms jsonb;
