-- The stage framework counts a document's tries at its current stage in the job row, not by
-- the message's receive count: a delivery that waited behind another's lease, or an outage
-- that was the platform's fault, does not spend them. Leases are now short and renewed by a
-- heartbeat, so a killed handler's job is free again within one lease.
ALTER TABLE upload_jobs ADD COLUMN tries integer NOT NULL DEFAULT 0 CHECK (tries >= 0);

-- `done` is final: only a new version of the document or its deletion moves past it.
DELETE FROM job_state_transitions WHERE from_state = 'done';

-- Execution environments say where they run, so a stuck lease can be traced to its holder.
ALTER TABLE execution_environments ADD COLUMN host text, ADD COLUMN pid integer;
