//! The stage framework: every stage's Lambda handler is `handle_batch` with its stage.
//!
//! Per message: decode → load the job → claim (a lease fenced by attempt) → run the stage, which
//! commits its results together with the transition → send the next stage's message → ack.
//! Failures are settled by kind: transient → back-off and redelivery; permanent, or transient on
//! the last receive → job failed and a self-describing copy in the stage's DLQ; poison → ack.

mod backoff;
mod delivery;
mod handler;
pub mod queue;

pub use backoff::retry_delay;
pub use delivery::Delivery;
pub use handler::{Outcome, handle_batch};
pub use queue::send_stage_message;
