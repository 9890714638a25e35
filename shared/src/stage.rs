//! The four pipeline stages and the job states each one owns.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Parse,
    Chunk,
    Embed,
    Finalize,
}

/// Mirrors the `job_state` enum in the database.
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
}

impl Stage {
    pub const ALL: [Stage; 4] = [Stage::Parse, Stage::Chunk, Stage::Embed, Stage::Finalize];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Parse => "parse",
            Stage::Chunk => "chunk",
            Stage::Embed => "embed",
            Stage::Finalize => "finalize",
        }
    }

    /// The state a job is in when this stage may claim it.
    pub fn ready_state(self) -> JobState {
        match self {
            Stage::Parse => JobState::UploadValidated,
            Stage::Chunk => JobState::Parsed,
            Stage::Embed => JobState::Chunked,
            Stage::Finalize => JobState::Embedded,
        }
    }

    /// The leased state while the stage works. Finalize has none: its checks and its transition
    /// happen in one transaction, so there is nothing to lease.
    pub fn running_state(self) -> Option<JobState> {
        match self {
            Stage::Parse => Some(JobState::Parsing),
            Stage::Chunk => Some(JobState::Chunking),
            Stage::Embed => Some(JobState::Embedding),
            Stage::Finalize => None,
        }
    }

    pub fn done_state(self) -> JobState {
        match self {
            Stage::Parse => JobState::Parsed,
            Stage::Chunk => JobState::Chunked,
            Stage::Embed => JobState::Embedded,
            Stage::Finalize => JobState::Done,
        }
    }

    pub fn next(self) -> Option<Stage> {
        match self {
            Stage::Parse => Some(Stage::Chunk),
            Stage::Chunk => Some(Stage::Embed),
            Stage::Embed => Some(Stage::Finalize),
            Stage::Finalize => None,
        }
    }
}

impl JobState {
    pub const ALL: [JobState; 9] = [
        JobState::UploadValidated,
        JobState::Parsing,
        JobState::Parsed,
        JobState::Chunking,
        JobState::Chunked,
        JobState::Embedding,
        JobState::Embedded,
        JobState::Done,
        JobState::Failed,
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
        }
    }

    /// The stage whose message moves a job on from this state (ready for it, or running it).
    pub fn owning_stage(self) -> Option<Stage> {
        Stage::ALL.into_iter().find(|st| st.ready_state() == self || st.running_state() == Some(self))
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed)
    }

    /// Position along the happy path; `Failed` has none.
    pub fn progress(self) -> Option<usize> {
        JobState::ALL[..8].iter().position(|s| *s == self)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown {what} {value:?}")]
pub struct UnknownName {
    what: &'static str,
    value: String,
}

impl FromStr for Stage {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Stage::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownName { what: "stage", value: s.to_owned() })
    }
}

impl FromStr for JobState {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownName { what: "job state", value: s.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_chain_through_every_happy_state() {
        let mut seen = vec![];
        for st in Stage::ALL {
            seen.push(st.ready_state());
            seen.extend(st.running_state());
        }
        seen.push(Stage::Finalize.done_state());
        assert_eq!(seen, JobState::ALL[..8].to_vec());
        for st in [Stage::Parse, Stage::Chunk, Stage::Embed] {
            assert_eq!(st.done_state(), st.next().unwrap().ready_state());
        }
        assert_eq!(JobState::Chunking.owning_stage(), Some(Stage::Chunk));
        assert_eq!(JobState::Embedded.owning_stage(), Some(Stage::Finalize));
        assert_eq!(JobState::Done.owning_stage(), None);
    }

    #[test]
    fn names_round_trip() {
        for st in JobState::ALL {
            assert_eq!(st.as_str().parse::<JobState>().unwrap(), st);
        }
        assert!("parsing".parse::<Stage>().is_err());
    }
}
