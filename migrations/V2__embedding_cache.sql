-- Vectors are a function of (model, dimensions, text): keep them by the chunk text's hash so
-- identical text, in a re-upload or an unchanged section of an edited policy, is never
-- embedded (and paid for) twice.
CREATE TABLE embedding_cache (
    model           text         NOT NULL,
    dimensions      integer      NOT NULL CHECK (dimensions > 0),
    content_sha256  text         NOT NULL CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
    embedding       vector(1536) NOT NULL,
    created_at      timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (model, dimensions, content_sha256)
);

-- Tokens billed by the embedding provider for this document, across all attempts.
ALTER TABLE documents ADD COLUMN embedding_tokens bigint NOT NULL DEFAULT 0 CHECK (embedding_tokens >= 0);
