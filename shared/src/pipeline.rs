//! The pipeline's shape, as data: which stages exist, in what order, and which job states each
//! one owns. The stage framework is handed these specs; it names no stage itself. Adding a stage
//! means a spec here, a `job_state` value in a migration, and a type implementing
//! `framework::Stage` in `stages/`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Mirrors the `job_state` enum in the database, which enforces the transitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    UploadValidated,
    Parsing,
    Parsed,
    Chunking,
    Chunked,
    Embedding,
    Embedded,
    Done,
    Failed,
    /// A newer version of the same object reached `done`.
    Superseded,
    /// The object was deleted from the bucket.
    Deleted,
}

impl JobState {
    pub const ALL: [JobState; 11] = [
        JobState::UploadValidated,
        JobState::Parsing,
        JobState::Parsed,
        JobState::Chunking,
        JobState::Chunked,
        JobState::Embedding,
        JobState::Embedded,
        JobState::Done,
        JobState::Failed,
        JobState::Superseded,
        JobState::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::UploadValidated => "upload_validated",
            JobState::Parsing => "parsing",
            JobState::Parsed => "parsed",
            JobState::Chunking => "chunking",
            JobState::Chunked => "chunked",
            JobState::Embedding => "embedding",
            JobState::Embedded => "embedded",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Superseded => "superseded",
            JobState::Deleted => "deleted",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed | JobState::Superseded | JobState::Deleted)
    }

    /// Position along the happy path; `Failed`, `Superseded` and `Deleted` have none.
    pub fn progress(self) -> Option<usize> {
        JobState::ALL[..8].iter().position(|s| *s == self)
    }
}

/// One stage as the framework sees it: its name (its queue, its metrics dimension, the `stage`
/// of its job rows) and the states it moves a job through.
#[derive(Debug, PartialEq, Eq)]
pub struct StageSpec {
    pub name: &'static str,
    /// The state a job is in when this stage may claim it.
    pub ready: JobState,
    /// The leased state while the stage works; `None` for a stage whose checks and transition
    /// happen in one transaction, so there is nothing to lease.
    pub running: Option<JobState>,
    pub done: JobState,
    pub next: Option<&'static str>,
}

pub const PARSE: StageSpec = StageSpec {
    name: "parse",
    ready: JobState::UploadValidated,
    running: Some(JobState::Parsing),
    done: JobState::Parsed,
    next: Some("chunk"),
};

pub const CHUNK: StageSpec = StageSpec {
    name: "chunk",
    ready: JobState::Parsed,
    running: Some(JobState::Chunking),
    done: JobState::Chunked,
    next: Some("embed"),
};

pub const EMBED: StageSpec = StageSpec {
    name: "embed",
    ready: JobState::Chunked,
    running: Some(JobState::Embedding),
    done: JobState::Embedded,
    next: Some("finalize"),
};

pub const FINALIZE: StageSpec =
    StageSpec { name: "finalize", ready: JobState::Embedded, running: None, done: JobState::Done, next: None };

/// In order: each stage's done state is the next one's ready state.
pub const PIPELINE: [&StageSpec; 4] = [&PARSE, &CHUNK, &EMBED, &FINALIZE];

/// The stage whose queue S3 notifications arrive on.
pub const INTAKE: &StageSpec = &PARSE;

pub fn stage(name: &str) -> Option<&'static StageSpec> {
    PIPELINE.into_iter().find(|s| s.name == name)
}

/// The stage whose message moves a job on from `state` (ready for it, or running it).
pub fn owner_of(state: JobState) -> Option<&'static StageSpec> {
    PIPELINE.into_iter().find(|s| s.ready == state || s.running == Some(state))
}

pub fn stage_names() -> Vec<&'static str> {
    PIPELINE.iter().map(|s| s.name).collect()
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown job state {0:?}")]
pub struct UnknownState(String);

impl FromStr for JobState {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobState::ALL.into_iter().find(|st| st.as_str() == s).ok_or_else(|| UnknownState(s.to_owned()))
    }
}

/// A stage named on a command line.
pub fn parse_stage(name: &str) -> Result<&'static StageSpec, String> {
    stage(name).ok_or_else(|| format!("unknown stage {name:?} (one of {})", stage_names().join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_chain_through_every_happy_state() {
        let mut seen = vec![];
        for st in PIPELINE {
            seen.push(st.ready);
            seen.extend(st.running);
        }
        seen.push(FINALIZE.done);
        assert_eq!(seen, JobState::ALL[..8].to_vec());
        for pair in PIPELINE.windows(2) {
            assert_eq!(pair[0].done, pair[1].ready);
            assert_eq!(pair[0].next, Some(pair[1].name));
        }
        assert_eq!(owner_of(JobState::Chunking).map(|s| s.name), Some("chunk"));
        assert_eq!(owner_of(JobState::Embedded).map(|s| s.name), Some("finalize"));
        assert_eq!(owner_of(JobState::Done), None);
    }

    #[test]
    fn names_round_trip() {
        for st in JobState::ALL {
            assert_eq!(st.as_str().parse::<JobState>().ok(), Some(st));
        }
        assert!("parsing".parse::<JobState>().is_ok());
        assert!(parse_stage("parsing").is_err());
        assert_eq!(parse_stage("embed").map(|s| s.name), Ok("embed"));
    }
}
