-- Two embed stages of a new deployment register its first model at the same moment, and both
-- ran CREATE INDEX IF NOT EXISTS for its space: the loser failed on the catalog's unique name
-- (IF NOT EXISTS only sees a committed index), failing a document. Index creation is now
-- serialised; the second caller finds the index made.
CREATE OR REPLACE FUNCTION embedding_space_index(model_name text) RETURNS text
LANGUAGE plpgsql AS $$
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

-- The statement that builds a space's index without blocking writes, for a switch on a live
-- table (`CREATE INDEX CONCURRENTLY` cannot run inside a function, so the caller runs it).
CREATE FUNCTION embedding_space_index_statement(model_name text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON chunk_embeddings USING hnsw ((embedding::vector(%s)) vector_cosine_ops) WHERE indexed AND model = %L',
                  embedding_space_index_name(name), dimensions, name)
    FROM embedding_models WHERE name = model_name
$$;
