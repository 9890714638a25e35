-- Core schema: documents, their pipeline job, the append-only audit log, chunks with vectors,
-- and the embedding buffer. The job state machine is enforced here, not only in code.

CREATE EXTENSION IF NOT EXISTS vector;

CREATE TYPE job_state AS ENUM (
    'upload_validated', 'parsing', 'parsed', 'chunking', 'chunked',
    'embedding', 'embedded', 'done', 'failed'
);

CREATE TABLE documents (
    id              uuid PRIMARY KEY,
    owner           text        NOT NULL,
    bucket          text        NOT NULL,
    object_key      text        NOT NULL,
    -- The uploaded object's version identity: a re-upload of the same key is a new document.
    object_etag     text        NOT NULL,
    size_bytes      bigint      NOT NULL CHECK (size_bytes >= 0),
    content_type    text,
    sha256          text        CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    status          job_state   NOT NULL DEFAULT 'upload_validated',
    parser          text,
    page_count      integer     CHECK (page_count >= 0),
    parsed_key      text,
    parsed_sha256   text        CHECK (parsed_sha256 ~ '^[0-9a-f]{64}$'),
    chunk_count     integer     CHECK (chunk_count >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (bucket, object_key, object_etag)
);

CREATE TABLE upload_jobs (
    id                uuid PRIMARY KEY,
    document_id       uuid        NOT NULL UNIQUE REFERENCES documents (id),
    stage             text        NOT NULL CHECK (stage IN ('parse', 'chunk', 'embed', 'finalize')),
    state             job_state   NOT NULL DEFAULT 'upload_validated',
    -- Incremented by every claim; the lease fence that stops a late duplicate from completing.
    attempt           integer     NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    lease_owner       text,
    lease_expires_at  timestamptz,
    correlation_id    text        NOT NULL,
    last_error_class  text,
    last_error        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    state_changed_at  timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz,
    CHECK ((state IN ('done', 'failed')) = (finished_at IS NOT NULL))
);

CREATE INDEX upload_jobs_open_idx ON upload_jobs (state, state_changed_at)
    WHERE state NOT IN ('done', 'failed');

CREATE TABLE job_events (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id          uuid        NOT NULL REFERENCES upload_jobs (id),
    document_id     uuid        NOT NULL REFERENCES documents (id),
    -- 'transition' rows are written by the trigger below; others (retry, resent, completed)
    -- by the stage framework.
    kind            text        NOT NULL,
    stage           text        NOT NULL,
    from_state      job_state,
    to_state        job_state,
    attempt         integer     NOT NULL,
    duration_ms     bigint,
    correlation_id  text        NOT NULL,
    error_class     text,
    error_message   text,
    detail          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX job_events_job_idx ON job_events (job_id, id);

CREATE FUNCTION job_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'job_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER job_events_append_only
    BEFORE UPDATE OR DELETE ON job_events
    FOR EACH ROW EXECUTE FUNCTION job_events_append_only();

CREATE TABLE job_state_transitions (
    from_state job_state NOT NULL,
    to_state   job_state NOT NULL,
    PRIMARY KEY (from_state, to_state)
);

INSERT INTO job_state_transitions (from_state, to_state) VALUES
    ('upload_validated', 'parsing'),
    ('parsing', 'parsing'),          -- re-claim after an expired lease or a transient failure
    ('parsing', 'parsed'),
    ('parsed', 'chunking'),
    ('chunking', 'chunking'),
    ('chunking', 'chunked'),
    ('chunked', 'embedding'),
    ('embedding', 'embedding'),
    ('embedding', 'embedded'),
    ('embedded', 'done');

INSERT INTO job_state_transitions (from_state, to_state)
SELECT s, 'failed' FROM unnest(enum_range(NULL::job_state)) AS s WHERE s <> 'failed';

CREATE FUNCTION upload_jobs_guard_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.state <> 'upload_validated' THEN
            RAISE EXCEPTION 'a job starts in upload_validated, not %', NEW.state
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.state IS DISTINCT FROM OLD.state OR NEW.attempt IS DISTINCT FROM OLD.attempt THEN
        IF NOT EXISTS (SELECT 1 FROM job_state_transitions
                       WHERE from_state = OLD.state AND to_state = NEW.state) THEN
            RAISE EXCEPTION 'invalid job state transition % -> % for job %', OLD.state, NEW.state, OLD.id
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF NEW.state IS DISTINCT FROM OLD.state THEN
        NEW.state_changed_at := clock_timestamp();
        NEW.finished_at := CASE WHEN NEW.state IN ('done', 'failed') THEN clock_timestamp() END;
    END IF;
    IF NEW.attempt < OLD.attempt THEN
        RAISE EXCEPTION 'attempt of job % may not decrease', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    NEW.updated_at := clock_timestamp();
    RETURN NEW;
END;
$$;

CREATE TRIGGER upload_jobs_guard_transition
    BEFORE INSERT OR UPDATE ON upload_jobs
    FOR EACH ROW EXECUTE FUNCTION upload_jobs_guard_transition();

-- Every state change and every claim lands in the audit log and in documents.status, in the
-- same transaction as the change itself, so no code path can forget either.
CREATE FUNCTION upload_jobs_record_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    prev_state job_state;
    prev_changed timestamptz;
BEGIN
    IF TG_OP = 'INSERT' THEN
        prev_state := NULL;
        prev_changed := NEW.created_at;
    ELSE
        IF NEW.state IS NOT DISTINCT FROM OLD.state AND NEW.attempt IS NOT DISTINCT FROM OLD.attempt THEN
            RETURN NULL;
        END IF;
        prev_state := OLD.state;
        prev_changed := OLD.state_changed_at;
    END IF;

    INSERT INTO job_events (job_id, document_id, kind, stage, from_state, to_state, attempt,
                            duration_ms, correlation_id, error_class, error_message)
    VALUES (NEW.id, NEW.document_id, 'transition', NEW.stage, prev_state, NEW.state, NEW.attempt,
            (extract(epoch FROM (clock_timestamp() - prev_changed)) * 1000)::bigint,
            NEW.correlation_id,
            CASE WHEN NEW.state = 'failed' THEN NEW.last_error_class END,
            CASE WHEN NEW.state = 'failed' THEN NEW.last_error END);

    IF TG_OP = 'INSERT' OR NEW.state IS DISTINCT FROM OLD.state THEN
        UPDATE documents SET status = NEW.state, updated_at = clock_timestamp()
        WHERE id = NEW.document_id;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER upload_jobs_record_transition
    AFTER INSERT OR UPDATE ON upload_jobs
    FOR EACH ROW EXECUTE FUNCTION upload_jobs_record_transition();

CREATE TABLE document_chunks (
    -- UUIDv5 of a canonical string (document id, ordinal, content hash): re-chunking the same
    -- markdown yields the same ids.
    id               uuid PRIMARY KEY,
    document_id      uuid        NOT NULL REFERENCES documents (id),
    ordinal          integer     NOT NULL CHECK (ordinal >= 0),
    content          text        NOT NULL CHECK (content <> ''),
    sha256           text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    token_count      integer     NOT NULL CHECK (token_count > 0),
    heading_path     text[]      NOT NULL DEFAULT '{}',
    page_start       integer     CHECK (page_start >= 1),
    page_end         integer     CHECK (page_end >= page_start),
    embedding        vector(1536),
    embedding_model  text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (document_id, ordinal),
    CHECK ((embedding IS NULL) = (embedding_model IS NULL))
);

CREATE INDEX document_chunks_embedding_idx ON document_chunks
    USING hnsw (embedding vector_cosine_ops);

-- Vectors land here first (bulk, outside any lock) and are applied to document_chunks in one
-- transaction under the document's advisory lock; rows are keyed by the claim attempt so a
-- superseded attempt's rows are never applied.
CREATE TABLE embedding_buffer (
    document_id  uuid         NOT NULL REFERENCES documents (id),
    chunk_id     uuid         NOT NULL,
    job_attempt  integer      NOT NULL,
    embedding    vector(1536) NOT NULL,
    model        text         NOT NULL,
    created_at   timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, job_attempt, chunk_id)
);
