//! The stage framework. It knows no stage by name: it is handed a stage (a type implementing
//! [`Stage`], as an [`AnyStage`] object) and its [`crate::pipeline::StageSpec`].
//!
//! Per message: the stage's intake names the jobs → [`decide`] from each job's state → claim (a
//! lease fenced by attempt, renewed while the stage runs) → the stage commits its results with
//! the transition → the next stage's message → ack. Failures are settled by their kind
//! ([`decide::settle`]): transient → back-off, charged to the job, final on its last try;
//! unavailable → back-off within the outage budget, not charged; permanent → job failed and a
//! self-describing copy in the stage's DLQ; poison → ack.

mod backoff;
pub mod decide;
mod delivery;
mod handler;
pub mod message;
mod process;
pub mod queue;
mod registry;
mod settle;
mod stage;

pub use backoff::{jitter_for, retry_delay, scheduled as scheduled_delay};
pub use decide::{Decision, RetryPolicy, Settlement};
pub use delivery::Delivery;
pub use handler::handle_batch;
pub use message::{MESSAGE_VERSION, StageMessage, attr};
pub use process::Outcome;
pub use queue::send_stage_message;
pub use registry::Registry;
pub use stage::{AnyStage, FromEnv, Stage, Work, stage_message_intake};
