-- One vector space per embedding model. Until now every vector was vector(1536): one model
-- size, written into the schema, and no way to change the model without dropping data.
--
-- * `embedding_models` registers each model's space (provider, dimensions, distance, state).
--   Exactly one is `active` (what search serves); during a model switch the new one is
--   `building` (the embed stage writes both); the old one is `retired` until it is dropped.
-- * `chunk_embeddings.embedding` and `embedding_cache.embedding` become `vector` without a fixed
--   size; a statement trigger refuses a vector whose size is not its model's. A row-level CHECK
--   cannot see the registry, and a per-row trigger would tax the embed stage's binary COPY; a
--   statement-level trigger reads the COPY's rows once, as a transition table.
-- * Each space has its own partial HNSW index on `(embedding::vector(N))` (`embedding_space_index`);
--   searches cast the same way, so the planner can use it.
-- One table with per-model partial indexes rather than a table per model: the write path, the
-- row-level security, the lifecycle deletes and the erasure stay one statement each.

CREATE TABLE embedding_models (
    name          text        PRIMARY KEY,
    provider      text        NOT NULL CHECK (provider IN ('lexical', 'local', 'openai')),
    dimensions    integer     NOT NULL CHECK (dimensions BETWEEN 1 AND 2000),
    distance      text        NOT NULL DEFAULT 'cosine' CHECK (distance = 'cosine'),
    state         text        NOT NULL CHECK (state IN ('active', 'building', 'retired', 'dropped')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    activated_at  timestamptz,
    retired_at    timestamptz,
    CHECK ((state = 'active') <= (activated_at IS NOT NULL))
);
CREATE UNIQUE INDEX embedding_models_one_active ON embedding_models ((true)) WHERE state = 'active';
CREATE UNIQUE INDEX embedding_models_one_building ON embedding_models ((true)) WHERE state = 'building';

-- Existing vectors are 1536-d. The model with the most current vectors is the active one.
INSERT INTO embedding_models (name, provider, dimensions, state, activated_at)
SELECT model,
       CASE WHEN model = 'doc-ingest-lexical-v1' THEN 'lexical' ELSE 'openai' END,
       1536,
       CASE WHEN row_number() OVER (ORDER BY count(*) DESC, model) = 1 THEN 'active' ELSE 'retired' END,
       now()
FROM chunk_embeddings GROUP BY model;
INSERT INTO embedding_models (name, provider, dimensions, state)
SELECT DISTINCT c.model, CASE WHEN c.model = 'doc-ingest-lexical-v1' THEN 'lexical' ELSE 'openai' END, c.dimensions,
       'retired'
FROM embedding_cache c
WHERE c.dimensions <= 2000 AND NOT EXISTS (SELECT 1 FROM embedding_models m WHERE m.name = c.model)
ON CONFLICT DO NOTHING;

DROP VIEW searchable_chunks;
DROP INDEX chunk_embeddings_embedding_idx;
ALTER TABLE chunk_embeddings ALTER COLUMN embedding TYPE vector;
ALTER TABLE embedding_cache ALTER COLUMN embedding TYPE vector;

-- A document may hold vectors of two models (during a switch), for the same attempt.
ALTER TABLE chunk_embeddings DROP CONSTRAINT chunk_embeddings_pkey;
ALTER TABLE chunk_embeddings ADD PRIMARY KEY (document_id, job_attempt, model, chunk_id);

CREATE FUNCTION embeddings_check_space() RETURNS trigger
LANGUAGE plpgsql AS $$
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
CREATE TRIGGER chunk_embeddings_space AFTER INSERT ON chunk_embeddings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION embeddings_check_space();
CREATE TRIGGER embedding_cache_space AFTER INSERT ON embedding_cache
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION embeddings_check_space();

-- The space's HNSW index: partial on its model, over the vectors cast to its size.
CREATE FUNCTION embedding_space_index_name(model_name text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT 'chunk_embeddings_hnsw_' || substr(md5(model_name), 1, 12) $$;

CREATE FUNCTION embedding_space_index(model_name text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    dims integer;
    idx text := embedding_space_index_name(model_name);
BEGIN
    SELECT dimensions INTO dims FROM embedding_models WHERE name = model_name;
    IF dims IS NULL THEN
        RAISE EXCEPTION 'unknown embedding model %', model_name USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON chunk_embeddings USING hnsw ((embedding::vector(%s)) vector_cosine_ops) WHERE indexed AND model = %L',
                   idx, dims, model_name);
    RETURN idx;
END;
$$;

-- Dropping a space: its index and vectors go; its cache stays (a switch back costs nothing).
CREATE FUNCTION embedding_space_drop(model_name text) RETURNS bigint
LANGUAGE plpgsql AS $$
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

SELECT embedding_space_index(name) FROM embedding_models WHERE state <> 'dropped';

CREATE VIEW searchable_chunks WITH (security_invoker = true) AS
SELECT c.id, c.document_id, c.owner, c.ordinal, c.content, c.sha256, c.token_count,
       c.heading_path, c.page_start, c.page_end, e.model AS embedding_model, e.embedding, e.indexed
FROM document_chunks c
JOIN documents d ON d.id = c.document_id
JOIN chunk_embeddings e ON e.document_id = c.document_id
                       AND e.job_attempt = d.embedding_attempt
                       AND e.chunk_id = c.id
JOIN embedding_models m ON m.name = e.model AND m.state = 'active'
WHERE d.status = 'done';
GRANT SELECT ON searchable_chunks TO doc_ingest_reader;
GRANT SELECT ON embedding_models TO doc_ingest_reader;

-- The space's HNSW index, reached by casting to the space's size (the index's expression);
-- the model is a literal so that the planner can match the partial index's predicate.
CREATE OR REPLACE FUNCTION vector_candidates_hnsw(query vector, k integer, model_name text, only_document uuid)
RETURNS TABLE (chunk_id uuid, document_id uuid, distance double precision)
LANGUAGE plpgsql STABLE
SET hnsw.iterative_scan = 'relaxed_order'
SET enable_sort = off
AS $$
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
$$;

-- The dispatcher refuses a query vector that is not of the searched space's size, and a model
-- without a space; a reader cannot rank vectors of one model against a query of another.
CREATE OR REPLACE FUNCTION vector_candidates(query vector, k integer, model_name text, only_document uuid DEFAULT NULL,
                                             strategy text DEFAULT 'auto')
RETURNS TABLE (chunk_id uuid, document_id uuid, distance double precision)
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
