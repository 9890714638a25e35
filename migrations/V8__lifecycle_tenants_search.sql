-- The knowledge base mirrors the bucket and is safe to read:
-- 1. Versions. A document is one version of one object; the S3 event's sequencer (or, where an
--    emulator omits it, the event time) orders the versions of a key. When a version reaches
--    `done`, older done versions of its key become `superseded` in the same transaction and
--    lose their chunks and vectors; a version finishing after a newer one is superseded at once.
-- 2. Deletion. `s3:ObjectRemoved:*` records a tombstone per key and moves every older version
--    to `deleted` (chunks, vectors and parsed markdown removed; audit events kept). A create
--    event older than the tombstone is not ingested.
-- 3. Tenants. Every tenant row carries its owner; row-level security, enabled and forced, lets
--    the reader role see only the rows of the owner set for its transaction.
-- 4. Search. A generated tsvector with a GIN index beside the vectors; `hybrid_search` fuses
--    vector and full-text ranks (reciprocal rank fusion) within the caller's owner.

-- 1 and 2: the lifecycle.
INSERT INTO job_state_transitions (from_state, to_state) VALUES ('done', 'superseded');
INSERT INTO job_state_transitions (from_state, to_state)
SELECT s, 'deleted' FROM unnest(enum_range(NULL::job_state)) AS s WHERE s <> 'deleted';

ALTER TABLE upload_jobs DROP CONSTRAINT upload_jobs_check;
ALTER TABLE upload_jobs ADD CONSTRAINT upload_jobs_finished_check
    CHECK ((state IN ('done', 'failed', 'superseded', 'deleted')) = (finished_at IS NOT NULL));

CREATE OR REPLACE FUNCTION upload_jobs_guard_transition() RETURNS trigger
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
        -- A superseded or deleted job keeps the time it finished, if it had.
        NEW.finished_at := CASE WHEN NEW.state IN ('done', 'failed', 'superseded', 'deleted')
                                THEN coalesce(OLD.finished_at, clock_timestamp()) END;
    END IF;
    IF NEW.attempt < OLD.attempt THEN
        RAISE EXCEPTION 'attempt of job % may not decrease', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    NEW.updated_at := clock_timestamp();
    RETURN NEW;
END;
$$;

-- With bucket versioning the same bytes at the same key are a new version (same ETag, new
-- version id): the id, derived from the version's identity, is the one key that holds.
ALTER TABLE documents DROP CONSTRAINT documents_bucket_object_key_object_etag_key;
ALTER TABLE documents
    ADD COLUMN version_id text,
    -- Orders the versions of one key: 's:' and the S3 sequencer left-padded to 32 hex digits,
    -- or 't:' and the event time where the sequencer is missing.
    ADD COLUMN sequence text NOT NULL DEFAULT '',
    -- The document whose parsed markdown this one reused (the same bytes, the same owner).
    ADD COLUMN parsed_from uuid;
CREATE INDEX documents_object_idx ON documents (bucket, object_key, sequence);
CREATE INDEX documents_sha256_idx ON documents (owner, sha256) WHERE status = 'done';

CREATE TABLE object_deletions (
    bucket      text        NOT NULL,
    object_key  text        NOT NULL,
    owner       text        NOT NULL,
    -- The latest deletion seen for the key; versions ordered before it are gone.
    sequence    text        NOT NULL,
    deleted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bucket, object_key)
);

-- Right to erasure: what `ingestctl purge --owner` removed, kept as the audit record (the
-- owner's job events go with its documents).
CREATE TABLE erasures (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner         text        NOT NULL,
    documents     bigint      NOT NULL,
    chunks        bigint      NOT NULL,
    vectors       bigint      NOT NULL,
    objects       bigint      NOT NULL,
    events        bigint      NOT NULL,
    requested_by  text        NOT NULL,
    erased_at     timestamptz NOT NULL DEFAULT now()
);

-- The append-only audit log yields to an erasure, and only to one (set for its transaction).
CREATE OR REPLACE FUNCTION job_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('doc_ingest.erasure', true) = OLD.owner THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'job_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- 3: the owner on every tenant row. job_events is append-only: its trigger steps aside for the
-- backfill only.
ALTER TABLE document_chunks ADD COLUMN owner text;
UPDATE document_chunks c SET owner = d.owner FROM documents d WHERE d.id = c.document_id;
ALTER TABLE document_chunks ALTER COLUMN owner SET NOT NULL;

ALTER TABLE chunk_embeddings ADD COLUMN owner text;
UPDATE chunk_embeddings e SET owner = d.owner FROM documents d WHERE d.id = e.document_id;
DELETE FROM chunk_embeddings WHERE owner IS NULL;
ALTER TABLE chunk_embeddings ALTER COLUMN owner SET NOT NULL;
CREATE INDEX chunk_embeddings_owner_idx ON chunk_embeddings (owner, model);

ALTER TABLE job_events ADD COLUMN owner text;
ALTER TABLE job_events DISABLE TRIGGER job_events_append_only;
UPDATE job_events e SET owner = d.owner FROM documents d WHERE d.id = e.document_id;
ALTER TABLE job_events ENABLE TRIGGER job_events_append_only;
ALTER TABLE job_events ALTER COLUMN owner SET NOT NULL;

CREATE OR REPLACE FUNCTION upload_jobs_record_transition() RETURNS trigger
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

    INSERT INTO job_events (job_id, document_id, owner, kind, stage, from_state, to_state, attempt,
                            duration_ms, correlation_id, error_class, error_message)
    SELECT NEW.id, NEW.document_id, d.owner, 'transition', NEW.stage, prev_state, NEW.state, NEW.attempt,
           (extract(epoch FROM (clock_timestamp() - prev_changed)) * 1000)::bigint,
           NEW.correlation_id,
           CASE WHEN NEW.state = 'failed' THEN NEW.last_error_class END,
           CASE WHEN NEW.state = 'failed' THEN NEW.last_error END
    FROM documents d WHERE d.id = NEW.document_id;

    IF TG_OP = 'INSERT' OR NEW.state IS DISTINCT FROM OLD.state THEN
        UPDATE documents SET status = NEW.state, updated_at = clock_timestamp()
        WHERE id = NEW.document_id;
    END IF;
    RETURN NULL;
END;
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'doc_ingest_reader') THEN
        -- The read side (search API, ingestctl search): no login, no writes, no BYPASSRLS. Its
        -- login role is made by the operator and granted this one.
        CREATE ROLE doc_ingest_reader NOLOGIN NOBYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'doc_ingest_pipeline') THEN
        CREATE ROLE doc_ingest_pipeline NOLOGIN;
    END IF;
END $$;
-- The role that migrates is the pipeline's writer (superusers bypass row security anyway).
GRANT doc_ingest_pipeline TO CURRENT_USER;

ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
ALTER TABLE document_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE document_chunks FORCE ROW LEVEL SECURITY;
ALTER TABLE chunk_embeddings ENABLE ROW LEVEL SECURITY;
ALTER TABLE chunk_embeddings FORCE ROW LEVEL SECURITY;
ALTER TABLE job_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE job_events FORCE ROW LEVEL SECURITY;
ALTER TABLE upload_jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE upload_jobs FORCE ROW LEVEL SECURITY;
ALTER TABLE object_deletions ENABLE ROW LEVEL SECURITY;
ALTER TABLE object_deletions FORCE ROW LEVEL SECURITY;

CREATE POLICY pipeline_all ON documents TO doc_ingest_pipeline USING (true) WITH CHECK (true);
CREATE POLICY pipeline_all ON document_chunks TO doc_ingest_pipeline USING (true) WITH CHECK (true);
CREATE POLICY pipeline_all ON chunk_embeddings TO doc_ingest_pipeline USING (true) WITH CHECK (true);
CREATE POLICY pipeline_all ON job_events TO doc_ingest_pipeline USING (true) WITH CHECK (true);
CREATE POLICY pipeline_all ON upload_jobs TO doc_ingest_pipeline USING (true) WITH CHECK (true);
CREATE POLICY pipeline_all ON object_deletions TO doc_ingest_pipeline USING (true) WITH CHECK (true);

-- Unset (NULL), the owner matches nothing: a reader that did not say who it serves sees nothing.
CREATE POLICY tenant_read ON documents FOR SELECT TO doc_ingest_reader
    USING (owner = current_setting('doc_ingest.owner', true));
CREATE POLICY tenant_read ON document_chunks FOR SELECT TO doc_ingest_reader
    USING (owner = current_setting('doc_ingest.owner', true));
CREATE POLICY tenant_read ON chunk_embeddings FOR SELECT TO doc_ingest_reader
    USING (owner = current_setting('doc_ingest.owner', true));
CREATE POLICY tenant_read ON job_events FOR SELECT TO doc_ingest_reader
    USING (owner = current_setting('doc_ingest.owner', true));

GRANT SELECT ON documents, document_chunks, chunk_embeddings, job_events TO doc_ingest_reader;

-- 4: full text beside the vectors.
ALTER TABLE document_chunks
    ADD COLUMN search_text tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED;
CREATE INDEX document_chunks_search_idx ON document_chunks USING gin (search_text);
CREATE INDEX document_chunks_owner_idx ON document_chunks (owner);

DROP FUNCTION search_chunks(vector, integer, text);
DROP VIEW searchable_chunks;

CREATE VIEW searchable_chunks WITH (security_invoker = true) AS
SELECT c.id, c.document_id, c.owner, c.ordinal, c.content, c.sha256, c.token_count,
       c.heading_path, c.page_start, c.page_end, e.model AS embedding_model, e.embedding, e.indexed
FROM document_chunks c
JOIN documents d ON d.id = c.document_id
JOIN chunk_embeddings e ON e.document_id = c.document_id
                       AND e.job_attempt = d.embedding_attempt
                       AND e.chunk_id = c.id
WHERE d.status = 'done';
GRANT SELECT ON searchable_chunks TO doc_ingest_reader;

-- The k chunks of the caller's owner (`doc_ingest.owner`, set for the transaction) nearest to
-- `query` among done documents of `model_name`, by cosine distance.
--
-- Exact: the owner's vectors through the owner index, sorted. Perfect recall; a few ms for
-- thousands of vectors.
CREATE FUNCTION vector_candidates_exact(query vector, k integer, model_name text, only_document uuid)
RETURNS TABLE (chunk_id uuid, document_id uuid, distance double precision)
LANGUAGE sql STABLE
AS $$
    SELECT e.chunk_id, e.document_id, (e.embedding <=> query)::double precision
    FROM chunk_embeddings e
    JOIN documents d ON d.id = e.document_id AND d.embedding_attempt = e.job_attempt
    WHERE e.owner = current_setting('doc_ingest.owner', true) AND e.model = model_name AND d.status = 'done'
      AND (only_document IS NULL OR e.document_id = only_document)
    ORDER BY e.embedding <=> query
    LIMIT k
$$;

-- HNSW: the partial index walked in distance order with pgvector's iterative scan, filtered by
-- owner as it goes (so a small owner cannot starve the result), plus an exact scan of the
-- vectors not yet indexed. Sorting is priced out, or the planner would rather sort the owner's
-- rows from the owner index (which `exact` does on purpose): this path exists for owners too
-- large to sort.
CREATE FUNCTION vector_candidates_hnsw(query vector, k integer, model_name text, only_document uuid)
RETURNS TABLE (chunk_id uuid, document_id uuid, distance double precision)
LANGUAGE sql STABLE
SET hnsw.iterative_scan = 'relaxed_order'
SET enable_sort = off
AS $$
    SELECT n.chunk_id, n.document_id, n.distance FROM (
        (SELECT e.chunk_id, e.document_id, (e.embedding <=> query)::double precision AS distance
         FROM chunk_embeddings e
         JOIN documents d ON d.id = e.document_id AND d.embedding_attempt = e.job_attempt
         WHERE e.indexed AND e.owner = current_setting('doc_ingest.owner', true)
           AND e.model = model_name AND d.status = 'done'
           AND (only_document IS NULL OR e.document_id = only_document)
         ORDER BY e.embedding <=> query
         LIMIT k)
        UNION ALL
        (SELECT e.chunk_id, e.document_id, (e.embedding <=> query)::double precision
         FROM chunk_embeddings e
         JOIN documents d ON d.id = e.document_id AND d.embedding_attempt = e.job_attempt
         WHERE NOT e.indexed AND e.owner = current_setting('doc_ingest.owner', true)
           AND e.model = model_name AND d.status = 'done'
           AND (only_document IS NULL OR e.document_id = only_document)
         ORDER BY e.embedding <=> query
         LIMIT k)
    ) n ORDER BY n.distance LIMIT k
$$;

-- 'auto' is exact for an owner with up to 20,000 vectors (or one document) and HNSW above. No
-- owner set, no rows.
CREATE FUNCTION vector_candidates(query vector, k integer, model_name text, only_document uuid DEFAULT NULL,
                                  strategy text DEFAULT 'auto')
RETURNS TABLE (chunk_id uuid, document_id uuid, distance double precision)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    me text := current_setting('doc_ingest.owner', true);
    owned bigint;
BEGIN
    IF me IS NULL THEN
        RETURN;
    END IF;
    IF strategy = 'auto' THEN
        SELECT count(*) INTO owned FROM chunk_embeddings e WHERE e.owner = me AND e.model = model_name;
        strategy := CASE WHEN owned <= 20000 OR only_document IS NOT NULL THEN 'exact' ELSE 'hnsw' END;
    END IF;
    IF strategy = 'exact' THEN
        RETURN QUERY SELECT * FROM vector_candidates_exact(query, k, model_name, only_document);
    ELSE
        RETURN QUERY SELECT * FROM vector_candidates_hnsw(query, k, model_name, only_document);
    END IF;
END;
$$;

-- Hybrid retrieval: the vector candidates and the full-text candidates of the caller's owner,
-- fused by reciprocal rank fusion (1/(60 + rank) from each list), best first.
CREATE FUNCTION hybrid_search(query vector, query_text text, k integer, model_name text,
                              only_document uuid DEFAULT NULL, strategy text DEFAULT 'auto')
RETURNS TABLE (chunk_id uuid, document_id uuid, object_key text, version_id text, heading_path text[],
               page_start integer, page_end integer, content text, vector_rank bigint,
               cosine_similarity double precision, text_rank bigint, text_score real, fused double precision)
LANGUAGE sql STABLE
AS $$
    WITH q AS (SELECT websearch_to_tsquery('english', query_text) AS tsq, greatest(k * 4, 40) AS depth),
    vec AS (
        SELECT v.chunk_id, v.document_id, v.distance,
               row_number() OVER (ORDER BY v.distance) AS rnk
        FROM q, vector_candidates(query, q.depth, model_name, only_document, strategy) v
    ),
    txt AS (
        SELECT t.id AS chunk_id, t.document_id, t.score,
               row_number() OVER (ORDER BY t.score DESC, t.id) AS rnk
        FROM (SELECT c.id, c.document_id, ts_rank_cd(c.search_text, q.tsq) AS score
              FROM q, document_chunks c
              JOIN documents d ON d.id = c.document_id
              WHERE c.search_text @@ q.tsq AND d.status = 'done'
                AND c.owner = current_setting('doc_ingest.owner', true)
                AND EXISTS (SELECT 1 FROM chunk_embeddings e
                            WHERE e.chunk_id = c.id AND e.job_attempt = d.embedding_attempt
                              AND e.model = model_name)
                AND (only_document IS NULL OR c.document_id = only_document)
              ORDER BY score DESC
              LIMIT (SELECT depth FROM q)) t
    ),
    fused AS (
        SELECT coalesce(vec.chunk_id, txt.chunk_id) AS chunk_id,
               vec.rnk AS vector_rank, 1 - vec.distance AS cosine_similarity,
               txt.rnk AS text_rank, txt.score AS text_score,
               coalesce(1.0 / (60 + vec.rnk), 0) + coalesce(1.0 / (60 + txt.rnk), 0) AS fused
        FROM vec FULL OUTER JOIN txt ON txt.chunk_id = vec.chunk_id
    )
    SELECT c.id, c.document_id, d.object_key, d.version_id, c.heading_path, c.page_start, c.page_end, c.content,
           f.vector_rank, f.cosine_similarity, f.text_rank, f.text_score, f.fused::double precision
    FROM fused f
    JOIN document_chunks c ON c.id = f.chunk_id
    JOIN documents d ON d.id = c.document_id
    ORDER BY f.fused DESC, c.id
    LIMIT k
$$;

GRANT EXECUTE ON FUNCTION vector_candidates(vector, integer, text, uuid, text) TO doc_ingest_reader;
GRANT EXECUTE ON FUNCTION vector_candidates_exact(vector, integer, text, uuid) TO doc_ingest_reader;
GRANT EXECUTE ON FUNCTION vector_candidates_hnsw(vector, integer, text, uuid) TO doc_ingest_reader;
GRANT EXECUTE ON FUNCTION hybrid_search(vector, text, integer, text, uuid, text) TO doc_ingest_reader;
