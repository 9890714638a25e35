-- Hybrid search breaks ties by the vector side, then by content, not by chunk id. Reciprocal rank
-- fusion ties often (a chunk first in the vector list alone scores 1/61, as does a chunk first in
-- the text list alone), and chunk ids are new with every upload of a document: the same document
-- uploaded twice ranked its tied chunks in two orders (corpus/eval, one build, two owners: hybrid
-- page recall@1 0.671 and 0.657). A tie now goes to the nearer vector, then to the text list's
-- better rank, then to the chunk's content hash, which is the same on every upload.

CREATE OR REPLACE FUNCTION hybrid_search(query vector, query_text text, k integer, model_name text,
                              only_document uuid DEFAULT NULL, strategy text DEFAULT 'auto')
RETURNS TABLE (chunk_id uuid, document_id uuid, object_key text, version_id text, heading_path text[],
               page_start integer, page_end integer, content text, vector_rank bigint,
               cosine_similarity double precision, text_rank bigint, text_score real, fused double precision)
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
