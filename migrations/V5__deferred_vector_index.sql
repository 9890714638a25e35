-- HNSW maintenance is taken off the embed stage's write path. An HNSW insert of a 1536-d vector
-- costs about 1.4 ms here, 30x a binary COPY of the same row, and the embed stage held it for
-- every vector. Now the embed stage writes vectors `indexed = false`, outside the (partial)
-- HNSW index; an indexing pass (the scheduled sweeper, or `ingestctl index`) marks the current
-- vectors of done documents indexed in batches, which inserts them into the index. Searches
-- (`search_chunks`) read both: the index for indexed vectors, an exact scan for the backlog.

ALTER TABLE chunk_embeddings ADD COLUMN indexed boolean NOT NULL DEFAULT false;
UPDATE chunk_embeddings SET indexed = true;

DROP INDEX chunk_embeddings_embedding_idx;
CREATE INDEX chunk_embeddings_embedding_idx ON chunk_embeddings
    USING hnsw (embedding vector_cosine_ops) WHERE indexed;
CREATE INDEX chunk_embeddings_backlog_idx ON chunk_embeddings (document_id, job_attempt) WHERE NOT indexed;

-- Per-row foreign-key checks cost the bulk write about a quarter of its rate (measured with
-- `ingestctl bench-vectors`: 0.72-0.85 of a plain COPY with them, 1.0-1.28 without). The rows
-- they guarded are guarded where they are written: an attempt is switched in only under the
-- document's lock after its vectors were counted against the chunks, chunks are replaced only
-- together with their vectors (chunk stage), and readers join on the chunk. Deleting a document
-- must delete its vectors explicitly.
ALTER TABLE chunk_embeddings
    DROP CONSTRAINT chunk_embeddings_chunk_id_fkey,
    DROP CONSTRAINT chunk_embeddings_document_id_fkey;

CREATE OR REPLACE VIEW searchable_chunks AS
SELECT c.id, c.document_id, d.owner, c.ordinal, c.content, c.sha256, c.token_count,
       c.heading_path, c.page_start, c.page_end, e.model AS embedding_model, e.embedding, e.indexed
FROM document_chunks c
JOIN documents d ON d.id = c.document_id
JOIN chunk_embeddings e ON e.document_id = c.document_id
                       AND e.job_attempt = d.embedding_attempt
                       AND e.chunk_id = c.id
WHERE d.status = 'done';

-- The k chunks nearest to `query` (cosine distance) among done documents, optionally of one
-- owner: approximate over the indexed vectors (HNSW, with pgvector's iterative scan so that the
-- filters cannot starve the result), exact over the not-yet-indexed backlog, merged. Ordering on
-- chunk_embeddings itself, not on the view, leaves the planner free to drive the query from the
-- HNSW index; whichever plan it picks, the result is the same.
CREATE FUNCTION search_chunks(query vector(1536), k integer, for_owner text DEFAULT NULL)
RETURNS TABLE (chunk_id uuid, document_id uuid, owner text, content text, heading_path text[],
               page_start integer, page_end integer, distance double precision)
LANGUAGE sql STABLE
SET hnsw.iterative_scan = 'relaxed_order'
AS $$
    WITH nearest AS (
        (SELECT e.document_id, e.chunk_id, e.embedding <=> query AS distance
         FROM chunk_embeddings e
         JOIN documents d ON d.id = e.document_id AND d.embedding_attempt = e.job_attempt
         WHERE e.indexed AND d.status = 'done' AND (for_owner IS NULL OR d.owner = for_owner)
         ORDER BY e.embedding <=> query
         LIMIT k)
        UNION ALL
        (SELECT e.document_id, e.chunk_id, e.embedding <=> query AS distance
         FROM chunk_embeddings e
         JOIN documents d ON d.id = e.document_id AND d.embedding_attempt = e.job_attempt
         WHERE NOT e.indexed AND d.status = 'done' AND (for_owner IS NULL OR d.owner = for_owner)
         ORDER BY e.embedding <=> query
         LIMIT k)
    )
    SELECT c.id, n.document_id, d.owner, c.content, c.heading_path, c.page_start, c.page_end, n.distance
    FROM nearest n
    JOIN document_chunks c ON c.id = n.chunk_id
    JOIN documents d ON d.id = n.document_id
    ORDER BY n.distance
    LIMIT k
$$;
