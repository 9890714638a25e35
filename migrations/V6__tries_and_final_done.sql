-- The stage framework counts, in the job row rather than by the message's receive count, the
-- document's failures at its current stage (`tries`: its own transient failures; outages are
-- the platform's and not counted) and the claims taken at that stage (`claims`: a handler that
-- dies holding the job leaves no failure behind, so crash loops are bounded by claims). Both
-- start again at each stage. Leases are now short and renewed by a heartbeat, so a killed
-- handler's job is free again within one lease.
ALTER TABLE upload_jobs
    ADD COLUMN tries integer NOT NULL DEFAULT 0 CHECK (tries >= 0),
    ADD COLUMN claims integer NOT NULL DEFAULT 0 CHECK (claims >= 0);

-- `done` is final: only a new version of the document or its deletion moves past it.
DELETE FROM job_state_transitions WHERE from_state = 'done';

-- Execution environments say where they run, so a stuck lease can be traced to its holder.
ALTER TABLE execution_environments ADD COLUMN host text, ADD COLUMN pid integer;
