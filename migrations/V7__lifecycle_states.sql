-- A document follows its object in the bucket: a newer version supersedes it, a deletion
-- removes it. New enum values must be committed before they are used (V8 uses them).
ALTER TYPE job_state ADD VALUE IF NOT EXISTS 'superseded';
ALTER TYPE job_state ADD VALUE IF NOT EXISTS 'deleted';
