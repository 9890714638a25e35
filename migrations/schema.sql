-- The schema the migrations in this folder build, dumped by scripts/schema.sh (pg_dump
-- --schema-only) from a freshly migrated database. Do not edit: add a migration, then
-- run scripts/schema.sh. CI fails when this file is not current.

--
-- PostgreSQL database dump
--

--
-- Name: vector; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public;

--
-- Name: EXTENSION vector; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION vector IS 'vector data type and ivfflat and hnsw access methods';

--
-- Name: job_state; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.job_state AS ENUM (
    'upload_validated',
    'parsing',
    'parsed',
    'chunking',
    'chunked',
    'embedding',
    'embedded',
    'done',
    'failed',
    'superseded',
    'deleted'
);

--
-- Name: embedding_space_drop(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.embedding_space_drop(model_name text) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
    removed bigint;
BEGIN
    IF EXISTS (SELECT 1 FROM embedding_models WHERE name = model_name AND state IN ('active', 'building')) THEN
        RAISE EXCEPTION 'model % is % and cannot be dropped', model_name,
            (SELECT state FROM embedding_models WHERE name = model_name) USING ERRCODE = 'object_in_use';
    END IF;
    EXECUTE format('DROP INDEX IF EXISTS %I', embedding_space_index_name(model_name));
    DELETE FROM chunk_embeddings WHERE model = model_name;
    GET DIAGNOSTICS removed = ROW_COUNT;
    UPDATE embedding_models SET state = 'dropped', retired_at = coalesce(retired_at, now()) WHERE name = model_name;
    RETURN removed;
END;
$$;

--
-- Name: embedding_space_index(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.embedding_space_index(model_name text) RETURNS text
    LANGUAGE plpgsql
    AS $$
DECLARE
    dims integer;
    idx text := embedding_space_index_name(model_name);
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('doc-ingest:embedding-space-index', 0));
    SELECT dimensions INTO dims FROM embedding_models WHERE name = model_name;
    IF dims IS NULL THEN
        RAISE EXCEPTION 'unknown embedding model %', model_name USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON chunk_embeddings USING hnsw ((embedding::vector(%s)) vector_cosine_ops) WHERE indexed AND model = %L',
                   idx, dims, model_name);
    RETURN idx;
END;
$$;

--
-- Name: embedding_space_index_name(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.embedding_space_index_name(model_name text) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT 'chunk_embeddings_hnsw_' || substr(md5(model_name), 1, 12) $$;

--
-- Name: embedding_space_index_statement(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.embedding_space_index_statement(model_name text) RETURNS text
    LANGUAGE sql STABLE
    AS $$
    SELECT format('CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON chunk_embeddings USING hnsw ((embedding::vector(%s)) vector_cosine_ops) WHERE indexed AND model = %L',
                  embedding_space_index_name(name), dimensions, name)
    FROM embedding_models WHERE name = model_name
$$;

--
-- Name: embeddings_check_space(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.embeddings_check_space() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.model, vector_dims(n.embedding) AS dims, m.dimensions, m.state INTO bad
    FROM new_rows n LEFT JOIN embedding_models m ON m.name = n.model
    WHERE m.name IS NULL OR m.state = 'dropped' OR vector_dims(n.embedding) <> m.dimensions
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'a %-d vector of model % does not belong in its space (%)', bad.dims, bad.model,
            CASE WHEN bad.dimensions IS NULL THEN 'model not registered'
                 WHEN bad.state = 'dropped' THEN 'space dropped'
                 ELSE bad.dimensions || '-d' END
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

--
-- Name: hybrid_search(public.vector, text, integer, text, uuid, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.hybrid_search(query public.vector, query_text text, k integer, model_name text, only_document uuid DEFAULT NULL::uuid, strategy text DEFAULT 'auto'::text) RETURNS TABLE(chunk_id uuid, document_id uuid, object_key text, version_id text, heading_path text[], page_start integer, page_end integer, content text, vector_rank bigint, cosine_similarity double precision, text_rank bigint, text_score real, fused double precision)
    LANGUAGE sql STABLE
    AS $$
    WITH q AS (SELECT CASE WHEN query_text ~ '"|(^|\s)-\w|\sOR\s' THEN websearch_to_tsquery('english', query_text)
                       ELSE nullif(replace(plainto_tsquery('english', query_text)::text, ' & ', ' | '), '')::tsquery
                  END AS tsq,
                  greatest(k * 4, 40) AS depth),
    vec AS (
        SELECT v.chunk_id, v.document_id, v.distance,
               row_number() OVER (ORDER BY v.distance) AS rnk
        FROM q, vector_candidates(query, q.depth, model_name, only_document, strategy) v
    ),
    txt AS (
        SELECT t.id AS chunk_id, t.document_id, t.score,
               row_number() OVER (ORDER BY t.score DESC, t.sha256, t.id) AS rnk
        FROM (SELECT c.id, c.document_id, c.sha256, ts_rank_cd(c.search_text, q.tsq) AS score
              FROM q, document_chunks c
              JOIN documents d ON d.id = c.document_id
              WHERE c.search_text @@ q.tsq AND d.status = 'done'
                AND c.owner = current_setting('doc_ingest.owner', true)
                AND EXISTS (SELECT 1 FROM chunk_embeddings e
                            WHERE e.chunk_id = c.id AND e.job_attempt = d.embedding_attempt
                              AND e.model = model_name)
                AND (only_document IS NULL OR c.document_id = only_document)
              ORDER BY score DESC, c.sha256, c.id
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
    ORDER BY f.fused DESC, f.vector_rank NULLS LAST, f.text_rank NULLS LAST, c.sha256, c.id
    LIMIT k
$$;

--
-- Name: job_events_append_only(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.job_events_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('doc_ingest.erasure', true) = OLD.owner THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'job_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

--
-- Name: upload_jobs_guard_transition(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.upload_jobs_guard_transition() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

--
-- Name: upload_jobs_record_transition(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.upload_jobs_record_transition() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

--
-- Name: vector_candidates(public.vector, integer, text, uuid, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.vector_candidates(query public.vector, k integer, model_name text, only_document uuid DEFAULT NULL::uuid, strategy text DEFAULT 'auto'::text) RETURNS TABLE(chunk_id uuid, document_id uuid, distance double precision)
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
    me text := current_setting('doc_ingest.owner', true);
    owned bigint;
    dims integer;
BEGIN
    SELECT m.dimensions INTO dims FROM embedding_models m WHERE m.name = model_name AND m.state <> 'dropped';
    IF dims IS NULL THEN
        RAISE EXCEPTION 'no embedding space for model %', model_name USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF vector_dims(query) <> dims THEN
        RAISE EXCEPTION 'a %-d query vector cannot search the %-d space of model %', vector_dims(query), dims, model_name
            USING ERRCODE = 'data_exception';
    END IF;
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

--
-- Name: vector_candidates_exact(public.vector, integer, text, uuid); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.vector_candidates_exact(query public.vector, k integer, model_name text, only_document uuid) RETURNS TABLE(chunk_id uuid, document_id uuid, distance double precision)
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

--
-- Name: vector_candidates_hnsw(public.vector, integer, text, uuid); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.vector_candidates_hnsw(query public.vector, k integer, model_name text, only_document uuid) RETURNS TABLE(chunk_id uuid, document_id uuid, distance double precision)
    LANGUAGE plpgsql STABLE
    SET "hnsw.iterative_scan" TO 'relaxed_order'
    SET enable_sort TO 'off'
    AS $_$
DECLARE
    dims integer;
BEGIN
    SELECT m.dimensions INTO dims FROM embedding_models m WHERE m.name = model_name;
    RETURN QUERY EXECUTE format($q$
        SELECT n.chunk_id, n.document_id, n.distance FROM (
            (SELECT e.chunk_id, e.document_id, (e.embedding::vector(%1$s) <=> $1::vector(%1$s))::double precision AS distance
             FROM chunk_embeddings e
             JOIN documents d ON d.id = e.document_id AND d.embedding_attempt = e.job_attempt
             WHERE e.indexed AND e.model = %2$L AND e.owner = current_setting('doc_ingest.owner', true)
               AND d.status = 'done' AND ($2::uuid IS NULL OR e.document_id = $2)
             ORDER BY e.embedding::vector(%1$s) <=> $1::vector(%1$s)
             LIMIT $3)
            UNION ALL
            (SELECT e.chunk_id, e.document_id, (e.embedding <=> $1)::double precision
             FROM chunk_embeddings e
             JOIN documents d ON d.id = e.document_id AND d.embedding_attempt = e.job_attempt
             WHERE NOT e.indexed AND e.model = %2$L AND e.owner = current_setting('doc_ingest.owner', true)
               AND d.status = 'done' AND ($2::uuid IS NULL OR e.document_id = $2)
             ORDER BY e.embedding <=> $1
             LIMIT $3)
        ) n ORDER BY n.distance LIMIT $3 $q$, dims, model_name)
    USING query, only_document, k;
END;
$_$;

--
-- Name: chunk_embeddings; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.chunk_embeddings (
    document_id uuid NOT NULL,
    job_attempt integer NOT NULL,
    chunk_id uuid NOT NULL,
    model text NOT NULL,
    embedding public.vector NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    indexed boolean DEFAULT false NOT NULL,
    owner text NOT NULL,
    CONSTRAINT chunk_embeddings_job_attempt_check CHECK ((job_attempt > 0))
);

ALTER TABLE ONLY public.chunk_embeddings FORCE ROW LEVEL SECURITY;

--
-- Name: document_chunks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.document_chunks (
    id uuid NOT NULL,
    document_id uuid NOT NULL,
    ordinal integer NOT NULL,
    content text NOT NULL,
    sha256 text NOT NULL,
    token_count integer NOT NULL,
    heading_path text[] DEFAULT '{}'::text[] NOT NULL,
    page_start integer,
    page_end integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    owner text NOT NULL,
    search_text tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, content)) STORED,
    CONSTRAINT document_chunks_check CHECK ((page_end >= page_start)),
    CONSTRAINT document_chunks_content_check CHECK ((content <> ''::text)),
    CONSTRAINT document_chunks_ordinal_check CHECK ((ordinal >= 0)),
    CONSTRAINT document_chunks_page_start_check CHECK ((page_start >= 1)),
    CONSTRAINT document_chunks_sha256_check CHECK ((sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT document_chunks_token_count_check CHECK ((token_count > 0))
);

ALTER TABLE ONLY public.document_chunks FORCE ROW LEVEL SECURITY;

--
-- Name: documents; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.documents (
    id uuid NOT NULL,
    owner text NOT NULL,
    bucket text NOT NULL,
    object_key text NOT NULL,
    object_etag text NOT NULL,
    size_bytes bigint NOT NULL,
    content_type text,
    sha256 text,
    status public.job_state DEFAULT 'upload_validated'::public.job_state NOT NULL,
    parser text,
    page_count integer,
    parsed_key text,
    parsed_sha256 text,
    chunk_count integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    embedding_tokens bigint DEFAULT 0 NOT NULL,
    embedding_attempt integer,
    duration_ms bigint,
    stage_durations_ms jsonb,
    version_id text,
    sequence text DEFAULT ''::text NOT NULL,
    parsed_from uuid,
    CONSTRAINT documents_chunk_count_check CHECK ((chunk_count >= 0)),
    CONSTRAINT documents_duration_ms_check CHECK ((duration_ms >= 0)),
    CONSTRAINT documents_embedding_tokens_check CHECK ((embedding_tokens >= 0)),
    CONSTRAINT documents_page_count_check CHECK ((page_count >= 0)),
    CONSTRAINT documents_parsed_sha256_check CHECK ((parsed_sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT documents_sha256_check CHECK ((sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT documents_size_bytes_check CHECK ((size_bytes >= 0))
);

ALTER TABLE ONLY public.documents FORCE ROW LEVEL SECURITY;

--
-- Name: embedding_cache; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.embedding_cache (
    model text NOT NULL,
    dimensions integer NOT NULL,
    content_sha256 text NOT NULL,
    embedding public.vector NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT embedding_cache_content_sha256_check CHECK ((content_sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT embedding_cache_dimensions_check CHECK ((dimensions > 0))
);

--
-- Name: embedding_models; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.embedding_models (
    name text NOT NULL,
    provider text NOT NULL,
    dimensions integer NOT NULL,
    distance text DEFAULT 'cosine'::text NOT NULL,
    state text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    activated_at timestamp with time zone,
    retired_at timestamp with time zone,
    CONSTRAINT embedding_models_check CHECK (((state = 'active'::text) <= (activated_at IS NOT NULL))),
    CONSTRAINT embedding_models_dimensions_check CHECK (((dimensions >= 1) AND (dimensions <= 2000))),
    CONSTRAINT embedding_models_distance_check CHECK ((distance = 'cosine'::text)),
    CONSTRAINT embedding_models_provider_check CHECK ((provider = ANY (ARRAY['lexical'::text, 'local'::text, 'openai'::text]))),
    CONSTRAINT embedding_models_state_check CHECK ((state = ANY (ARRAY['active'::text, 'building'::text, 'retired'::text, 'dropped'::text])))
);

--
-- Name: erasures; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.erasures (
    id bigint NOT NULL,
    owner text NOT NULL,
    documents bigint NOT NULL,
    chunks bigint NOT NULL,
    vectors bigint NOT NULL,
    objects bigint NOT NULL,
    events bigint NOT NULL,
    requested_by text NOT NULL,
    erased_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: erasures_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.erasures ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.erasures_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: execution_environments; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.execution_environments (
    id uuid NOT NULL,
    function_name text NOT NULL,
    function_version text NOT NULL,
    memory_mb integer,
    log_stream text,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    last_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    invocations bigint DEFAULT 0 NOT NULL,
    host text,
    pid integer,
    CONSTRAINT execution_environments_invocations_check CHECK ((invocations >= 0)),
    CONSTRAINT execution_environments_memory_mb_check CHECK ((memory_mb > 0))
);

--
-- Name: job_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.job_events (
    id bigint NOT NULL,
    job_id uuid NOT NULL,
    document_id uuid NOT NULL,
    kind text NOT NULL,
    stage text NOT NULL,
    from_state public.job_state,
    to_state public.job_state,
    attempt integer NOT NULL,
    duration_ms bigint,
    correlation_id text NOT NULL,
    error_class text,
    error_message text,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    owner text NOT NULL
);

ALTER TABLE ONLY public.job_events FORCE ROW LEVEL SECURITY;

--
-- Name: job_events_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.job_events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.job_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: job_state_transitions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.job_state_transitions (
    from_state public.job_state NOT NULL,
    to_state public.job_state NOT NULL
);

--
-- Name: object_deletions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.object_deletions (
    bucket text NOT NULL,
    object_key text NOT NULL,
    owner text NOT NULL,
    sequence text NOT NULL,
    deleted_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY public.object_deletions FORCE ROW LEVEL SECURITY;

--
-- Name: searchable_chunks; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.searchable_chunks WITH (security_invoker='true') AS
 SELECT c.id,
    c.document_id,
    c.owner,
    c.ordinal,
    c.content,
    c.sha256,
    c.token_count,
    c.heading_path,
    c.page_start,
    c.page_end,
    e.model AS embedding_model,
    e.embedding,
    e.indexed
   FROM (((public.document_chunks c
     JOIN public.documents d ON ((d.id = c.document_id)))
     JOIN public.chunk_embeddings e ON (((e.document_id = c.document_id) AND (e.job_attempt = d.embedding_attempt) AND (e.chunk_id = c.id))))
     JOIN public.embedding_models m ON (((m.name = e.model) AND (m.state = 'active'::text))))
  WHERE (d.status = 'done'::public.job_state);

--
-- Name: upload_jobs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.upload_jobs (
    id uuid NOT NULL,
    document_id uuid NOT NULL,
    stage text NOT NULL,
    state public.job_state DEFAULT 'upload_validated'::public.job_state NOT NULL,
    attempt integer DEFAULT 0 NOT NULL,
    lease_owner text,
    lease_expires_at timestamp with time zone,
    correlation_id text NOT NULL,
    last_error_class text,
    last_error text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    state_changed_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    tries integer DEFAULT 0 NOT NULL,
    claims integer DEFAULT 0 NOT NULL,
    CONSTRAINT upload_jobs_attempt_check CHECK ((attempt >= 0)),
    CONSTRAINT upload_jobs_claims_check CHECK ((claims >= 0)),
    CONSTRAINT upload_jobs_finished_check CHECK (((state = ANY (ARRAY['done'::public.job_state, 'failed'::public.job_state, 'superseded'::public.job_state, 'deleted'::public.job_state])) = (finished_at IS NOT NULL))),
    CONSTRAINT upload_jobs_stage_check CHECK ((stage = ANY (ARRAY['parse'::text, 'chunk'::text, 'embed'::text, 'finalize'::text]))),
    CONSTRAINT upload_jobs_tries_check CHECK ((tries >= 0))
);

ALTER TABLE ONLY public.upload_jobs FORCE ROW LEVEL SECURITY;

--
-- Name: chunk_embeddings chunk_embeddings_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.chunk_embeddings
    ADD CONSTRAINT chunk_embeddings_pkey PRIMARY KEY (document_id, job_attempt, model, chunk_id);

--
-- Name: document_chunks document_chunks_document_id_ordinal_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.document_chunks
    ADD CONSTRAINT document_chunks_document_id_ordinal_key UNIQUE (document_id, ordinal);

--
-- Name: document_chunks document_chunks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.document_chunks
    ADD CONSTRAINT document_chunks_pkey PRIMARY KEY (id);

--
-- Name: documents documents_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.documents
    ADD CONSTRAINT documents_pkey PRIMARY KEY (id);

--
-- Name: embedding_cache embedding_cache_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.embedding_cache
    ADD CONSTRAINT embedding_cache_pkey PRIMARY KEY (model, dimensions, content_sha256);

--
-- Name: embedding_models embedding_models_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.embedding_models
    ADD CONSTRAINT embedding_models_pkey PRIMARY KEY (name);

--
-- Name: erasures erasures_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.erasures
    ADD CONSTRAINT erasures_pkey PRIMARY KEY (id);

--
-- Name: execution_environments execution_environments_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.execution_environments
    ADD CONSTRAINT execution_environments_pkey PRIMARY KEY (id);

--
-- Name: job_events job_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job_events
    ADD CONSTRAINT job_events_pkey PRIMARY KEY (id);

--
-- Name: job_state_transitions job_state_transitions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job_state_transitions
    ADD CONSTRAINT job_state_transitions_pkey PRIMARY KEY (from_state, to_state);

--
-- Name: object_deletions object_deletions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.object_deletions
    ADD CONSTRAINT object_deletions_pkey PRIMARY KEY (bucket, object_key);

--
-- Name: upload_jobs upload_jobs_document_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.upload_jobs
    ADD CONSTRAINT upload_jobs_document_id_key UNIQUE (document_id);

--
-- Name: upload_jobs upload_jobs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.upload_jobs
    ADD CONSTRAINT upload_jobs_pkey PRIMARY KEY (id);

--
-- Name: chunk_embeddings_backlog_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX chunk_embeddings_backlog_idx ON public.chunk_embeddings USING btree (document_id, job_attempt) WHERE (NOT indexed);

--
-- Name: chunk_embeddings_owner_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX chunk_embeddings_owner_idx ON public.chunk_embeddings USING btree (owner, model);

--
-- Name: document_chunks_owner_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX document_chunks_owner_idx ON public.document_chunks USING btree (owner);

--
-- Name: document_chunks_search_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX document_chunks_search_idx ON public.document_chunks USING gin (search_text);

--
-- Name: documents_object_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX documents_object_idx ON public.documents USING btree (bucket, object_key, sequence);

--
-- Name: documents_sha256_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX documents_sha256_idx ON public.documents USING btree (owner, sha256) WHERE (status = 'done'::public.job_state);

--
-- Name: embedding_models_one_active; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX embedding_models_one_active ON public.embedding_models USING btree ((true)) WHERE (state = 'active'::text);

--
-- Name: embedding_models_one_building; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX embedding_models_one_building ON public.embedding_models USING btree ((true)) WHERE (state = 'building'::text);

--
-- Name: execution_environments_seen_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX execution_environments_seen_idx ON public.execution_environments USING btree (last_seen_at);

--
-- Name: job_events_job_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX job_events_job_idx ON public.job_events USING btree (job_id, id);

--
-- Name: upload_jobs_open_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX upload_jobs_open_idx ON public.upload_jobs USING btree (state, state_changed_at) WHERE (state <> ALL (ARRAY['done'::public.job_state, 'failed'::public.job_state]));

--
-- Name: chunk_embeddings chunk_embeddings_space; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER chunk_embeddings_space AFTER INSERT ON public.chunk_embeddings REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.embeddings_check_space();

--
-- Name: embedding_cache embedding_cache_space; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER embedding_cache_space AFTER INSERT ON public.embedding_cache REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.embeddings_check_space();

--
-- Name: job_events job_events_append_only; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER job_events_append_only BEFORE DELETE OR UPDATE ON public.job_events FOR EACH ROW EXECUTE FUNCTION public.job_events_append_only();

--
-- Name: upload_jobs upload_jobs_guard_transition; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER upload_jobs_guard_transition BEFORE INSERT OR UPDATE ON public.upload_jobs FOR EACH ROW EXECUTE FUNCTION public.upload_jobs_guard_transition();

--
-- Name: upload_jobs upload_jobs_record_transition; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER upload_jobs_record_transition AFTER INSERT OR UPDATE ON public.upload_jobs FOR EACH ROW EXECUTE FUNCTION public.upload_jobs_record_transition();

--
-- Name: document_chunks document_chunks_document_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.document_chunks
    ADD CONSTRAINT document_chunks_document_id_fkey FOREIGN KEY (document_id) REFERENCES public.documents(id);

--
-- Name: job_events job_events_document_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job_events
    ADD CONSTRAINT job_events_document_id_fkey FOREIGN KEY (document_id) REFERENCES public.documents(id);

--
-- Name: job_events job_events_job_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job_events
    ADD CONSTRAINT job_events_job_id_fkey FOREIGN KEY (job_id) REFERENCES public.upload_jobs(id);

--
-- Name: upload_jobs upload_jobs_document_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.upload_jobs
    ADD CONSTRAINT upload_jobs_document_id_fkey FOREIGN KEY (document_id) REFERENCES public.documents(id);

--
-- Name: chunk_embeddings; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.chunk_embeddings ENABLE ROW LEVEL SECURITY;

--
-- Name: document_chunks; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.document_chunks ENABLE ROW LEVEL SECURITY;

--
-- Name: documents; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY;

--
-- Name: job_events; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.job_events ENABLE ROW LEVEL SECURITY;

--
-- Name: object_deletions; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.object_deletions ENABLE ROW LEVEL SECURITY;

--
-- Name: chunk_embeddings pipeline_all; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY pipeline_all ON public.chunk_embeddings TO doc_ingest_pipeline USING (true) WITH CHECK (true);

--
-- Name: document_chunks pipeline_all; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY pipeline_all ON public.document_chunks TO doc_ingest_pipeline USING (true) WITH CHECK (true);

--
-- Name: documents pipeline_all; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY pipeline_all ON public.documents TO doc_ingest_pipeline USING (true) WITH CHECK (true);

--
-- Name: job_events pipeline_all; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY pipeline_all ON public.job_events TO doc_ingest_pipeline USING (true) WITH CHECK (true);

--
-- Name: object_deletions pipeline_all; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY pipeline_all ON public.object_deletions TO doc_ingest_pipeline USING (true) WITH CHECK (true);

--
-- Name: upload_jobs pipeline_all; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY pipeline_all ON public.upload_jobs TO doc_ingest_pipeline USING (true) WITH CHECK (true);

--
-- Name: chunk_embeddings tenant_read; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant_read ON public.chunk_embeddings FOR SELECT TO doc_ingest_reader USING ((owner = current_setting('doc_ingest.owner'::text, true)));

--
-- Name: document_chunks tenant_read; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant_read ON public.document_chunks FOR SELECT TO doc_ingest_reader USING ((owner = current_setting('doc_ingest.owner'::text, true)));

--
-- Name: documents tenant_read; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant_read ON public.documents FOR SELECT TO doc_ingest_reader USING ((owner = current_setting('doc_ingest.owner'::text, true)));

--
-- Name: job_events tenant_read; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant_read ON public.job_events FOR SELECT TO doc_ingest_reader USING ((owner = current_setting('doc_ingest.owner'::text, true)));

--
-- Name: upload_jobs; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.upload_jobs ENABLE ROW LEVEL SECURITY;

--
-- PostgreSQL database dump complete
--

-- The job state machine (rows of job_state_transitions), which the trigger enforces.
INSERT INTO public.job_state_transitions VALUES ('upload_validated', 'parsing');
INSERT INTO public.job_state_transitions VALUES ('upload_validated', 'failed');
INSERT INTO public.job_state_transitions VALUES ('upload_validated', 'deleted');
INSERT INTO public.job_state_transitions VALUES ('parsing', 'parsing');
INSERT INTO public.job_state_transitions VALUES ('parsing', 'parsed');
INSERT INTO public.job_state_transitions VALUES ('parsing', 'failed');
INSERT INTO public.job_state_transitions VALUES ('parsing', 'deleted');
INSERT INTO public.job_state_transitions VALUES ('parsed', 'chunking');
INSERT INTO public.job_state_transitions VALUES ('parsed', 'failed');
INSERT INTO public.job_state_transitions VALUES ('parsed', 'deleted');
INSERT INTO public.job_state_transitions VALUES ('chunking', 'chunking');
INSERT INTO public.job_state_transitions VALUES ('chunking', 'chunked');
INSERT INTO public.job_state_transitions VALUES ('chunking', 'failed');
INSERT INTO public.job_state_transitions VALUES ('chunking', 'deleted');
INSERT INTO public.job_state_transitions VALUES ('chunked', 'embedding');
INSERT INTO public.job_state_transitions VALUES ('chunked', 'failed');
INSERT INTO public.job_state_transitions VALUES ('chunked', 'deleted');
INSERT INTO public.job_state_transitions VALUES ('embedding', 'embedding');
INSERT INTO public.job_state_transitions VALUES ('embedding', 'embedded');
INSERT INTO public.job_state_transitions VALUES ('embedding', 'failed');
INSERT INTO public.job_state_transitions VALUES ('embedding', 'deleted');
INSERT INTO public.job_state_transitions VALUES ('embedded', 'done');
INSERT INTO public.job_state_transitions VALUES ('embedded', 'failed');
INSERT INTO public.job_state_transitions VALUES ('embedded', 'deleted');
INSERT INTO public.job_state_transitions VALUES ('done', 'superseded');
INSERT INTO public.job_state_transitions VALUES ('done', 'deleted');
INSERT INTO public.job_state_transitions VALUES ('failed', 'upload_validated');
INSERT INTO public.job_state_transitions VALUES ('failed', 'parsed');
INSERT INTO public.job_state_transitions VALUES ('failed', 'chunked');
INSERT INTO public.job_state_transitions VALUES ('failed', 'embedded');
INSERT INTO public.job_state_transitions VALUES ('failed', 'deleted');
INSERT INTO public.job_state_transitions VALUES ('superseded', 'deleted');
