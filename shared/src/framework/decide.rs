//! The heart of the framework, with no I/O: what a delivery should do given its job's state, and
//! what becomes of a message whose processing failed. Unit-tested in memory.

use super::backoff::{jitter_for, retry_delay};
use crate::db::jobs::Job;
use crate::error::{ErrorClass, ErrorKind, StageError};
use crate::pipeline::{JobState, StageSpec};
use std::time::Duration;

/// How hard to try, and for how long to wait out outages.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// A document's own transient failures at one stage; the last one is final.
    pub max_tries: u32,
    /// Claims at one stage without completing: handlers that died holding the job (killed, out
    /// of memory, timed out) leave no failure behind, and an outage can leave a lease
    /// unreleased, so this bounds crash loops at twice the tries.
    pub max_claims: u32,
    /// How long a message may wait out unavailable dependencies before its job fails.
    pub outage_budget: Duration,
    /// Added to a live lease's remaining time before a deferred delivery comes back.
    pub lease_margin: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_tries: 4,
            max_claims: 8,
            outage_budget: Duration::from_secs(60 * 60),
            lease_margin: Duration::from_secs(2),
        }
    }
}

/// What a delivery does with the job it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Take a lease and run the stage.
    Claim,
    /// The stage completed but its next message may never have been sent: send it again.
    ResendNext,
    /// The job has moved past this stage; nothing to do.
    AlreadyDone,
    /// Another delivery holds a live lease: come back when it ends (the holder may have died).
    Wait(Duration),
    /// This is the redriven dead letter of the job's failure at this stage: reopen, then claim.
    Reopen { failed_attempt: i32 },
    /// The job used its tries at this stage (the previous holders failed or died): fail it.
    GiveUp(StageError),
    /// Acknowledge without doing anything.
    Skip(StageError),
}

pub fn decide(job: &Job, spec: &StageSpec, redrive_attempt: Option<i32>, policy: &RetryPolicy) -> Decision {
    match job.state {
        JobState::Deleted => {
            return Decision::Skip(StageError::new(
                ErrorClass::DocumentDeleted,
                format!("document {} was deleted from the bucket", job.document_id),
            ));
        }
        // Only a done job is superseded: every stage is behind it.
        JobState::Superseded => return Decision::AlreadyDone,
        _ => {}
    }
    if job.state == JobState::Failed {
        return match redrive_attempt {
            Some(a) if a == job.attempt && job.stage == spec.name => Decision::Reopen { failed_attempt: a },
            _ => Decision::Skip(StageError::new(ErrorClass::JobFailed, format!("job {} has already failed", job.id))),
        };
    }
    if job.state == spec.done {
        return Decision::ResendNext;
    }
    let (Some(pos), Some(done)) = (job.state.progress(), spec.done.progress()) else {
        return Decision::Skip(StageError::new(ErrorClass::UnknownState, format!("job {} is {}", job.id, job.state)));
    };
    if pos > done {
        return Decision::AlreadyDone;
    }
    let running = spec.running.is_some() && Some(job.state) == spec.running;
    if running && let Some(left) = job.lease_remaining {
        return Decision::Wait(left + policy.lease_margin);
    }
    if job.state != spec.ready && !running {
        return Decision::Skip(StageError::new(
            ErrorClass::StaleStage,
            format!("job {} is {}, not ready for {}", job.id, job.state, spec.name),
        ));
    }
    if spec.running.is_some() && (job.tries >= policy.max_tries as i32 || job.claims >= policy.max_claims as i32) {
        let last = match (&job.last_error_class, &job.last_error) {
            (Some(class), Some(e)) => format!("last error {class}: {e}"),
            _ => "the handlers died holding it (killed, timed out or out of memory)".to_owned(),
        };
        return Decision::GiveUp(StageError::new(
            ErrorClass::RetriesExhausted,
            format!("{} failures in {} claims at {}; {last}", job.tries, job.claims, spec.name),
        ));
    }
    Decision::Claim
}

/// What becomes of a message whose processing failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settlement {
    /// Report it in `batchItemFailures` with its visibility set to this delay.
    Retry(Duration),
    /// Fail the job and send a self-describing copy to the stage's DLQ.
    DeadLetter(StageError),
    Acknowledge,
}

/// What the framework knew about the failed delivery.
#[derive(Clone, Debug)]
pub struct FailureContext<'a> {
    pub message_id: &'a str,
    pub receive_count: u32,
    /// The document's failures at this stage, the failed one included; `None` when no lease
    /// recorded them (the receive count stands in).
    pub tries: Option<i32>,
    /// How long the message has existed: what the outage budget is measured against.
    pub age: Duration,
}

pub fn settle(err: &StageError, f: &FailureContext<'_>, policy: &RetryPolicy) -> Settlement {
    match err.kind() {
        ErrorKind::Poison => Settlement::Acknowledge,
        ErrorKind::Permanent => Settlement::DeadLetter(err.clone()),
        ErrorKind::Transient => {
            let n = f.tries.map_or(f.receive_count, |t| t.max(1) as u32);
            if n >= policy.max_tries {
                Settlement::DeadLetter(err.prefixed(format_args!("gave up after {n} tries: ")))
            } else {
                Settlement::Retry(retry_delay(n, err.retry_after, jitter_for(f.message_id, n)))
            }
        }
        ErrorKind::Unavailable => {
            if f.age >= policy.outage_budget {
                let why = StageError::new(
                    ErrorClass::OutageBudgetExhausted,
                    format!(
                        "unavailable for {} s (budget {} s): {}",
                        f.age.as_secs(),
                        policy.outage_budget.as_secs(),
                        err.detail()
                    ),
                );
                Settlement::DeadLetter(why)
            } else {
                let n = f.receive_count;
                Settlement::Retry(retry_delay(n, err.retry_after, jitter_for(f.message_id, n)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{CHUNK, FINALIZE};
    use uuid::Uuid;

    fn job(state: JobState) -> Job {
        Job {
            id: Uuid::nil(),
            document_id: Uuid::nil(),
            owner: "acme".into(),
            state,
            stage: "chunk".into(),
            attempt: 3,
            tries: 0,
            claims: 0,
            lease_remaining: None,
            correlation_id: "c".into(),
            last_error_class: None,
            last_error: None,
        }
    }

    fn policy() -> RetryPolicy {
        RetryPolicy::default()
    }

    #[test]
    fn a_ready_job_or_an_expired_lease_is_claimed() {
        assert_eq!(decide(&job(JobState::Parsed), &CHUNK, None, &policy()), Decision::Claim);
        assert_eq!(decide(&job(JobState::Chunking), &CHUNK, None, &policy()), Decision::Claim);
        assert_eq!(decide(&job(JobState::Embedded), &FINALIZE, None, &policy()), Decision::Claim);
    }

    #[test]
    fn a_live_lease_defers_the_delivery_until_it_ends() {
        let mut j = job(JobState::Chunking);
        j.lease_remaining = Some(Duration::from_secs(40));
        assert_eq!(decide(&j, &CHUNK, None, &policy()), Decision::Wait(Duration::from_secs(42)));
    }

    #[test]
    fn a_completed_stage_resends_and_a_later_state_is_done() {
        assert_eq!(decide(&job(JobState::Chunked), &CHUNK, None, &policy()), Decision::ResendNext);
        assert_eq!(decide(&job(JobState::Embedding), &CHUNK, None, &policy()), Decision::AlreadyDone);
        assert_eq!(decide(&job(JobState::Done), &CHUNK, None, &policy()), Decision::AlreadyDone);
    }

    #[test]
    fn late_messages_of_deleted_or_superseded_documents_do_nothing() {
        match decide(&job(JobState::Deleted), &CHUNK, None, &policy()) {
            Decision::Skip(e) => assert_eq!(e.class, ErrorClass::DocumentDeleted),
            other => panic!("{other:?}"),
        }
        assert_eq!(decide(&job(JobState::Superseded), &CHUNK, Some(3), &policy()), Decision::AlreadyDone);
    }

    #[test]
    fn an_early_message_is_stale() {
        match decide(&job(JobState::Parsing), &CHUNK, None, &policy()) {
            Decision::Skip(e) => assert_eq!(e.class, ErrorClass::StaleStage),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_the_dead_letter_of_this_failure_reopens_it() {
        let failed = job(JobState::Failed);
        assert_eq!(decide(&failed, &CHUNK, Some(3), &policy()), Decision::Reopen { failed_attempt: 3 });
        for (attempt, spec) in [(None, &CHUNK), (Some(2), &CHUNK), (Some(3), &FINALIZE)] {
            match decide(&failed, spec, attempt, &policy()) {
                Decision::Skip(e) => assert_eq!(e.class, ErrorClass::JobFailed),
                other => panic!("{attempt:?} {}: {other:?}", spec.name),
            }
        }
    }

    #[test]
    fn a_job_whose_handlers_kept_dying_gives_up_after_its_claims() {
        let mut j = job(JobState::Chunking);
        j.claims = 7;
        assert_eq!(decide(&j, &CHUNK, None, &policy()), Decision::Claim);
        j.claims = 8;
        match decide(&j, &CHUNK, None, &policy()) {
            Decision::GiveUp(e) => {
                assert_eq!(e.class, ErrorClass::RetriesExhausted);
                assert!(e.message.contains("died holding it"), "{}", e.message);
            }
            other => panic!("{other:?}"),
        }
    }

    fn ctx(receive_count: u32, tries: Option<i32>, age_s: u64) -> FailureContext<'static> {
        FailureContext { message_id: "m", receive_count, tries, age: Duration::from_secs(age_s) }
    }

    #[test]
    fn transient_failures_back_off_then_the_last_try_is_final() {
        let e = StageError::new(ErrorClass::EmbeddingInvalid, "zero vector");
        let delays: Vec<u64> = (1..=3)
            .map(|n| match settle(&e, &ctx(n, Some(n as i32), 1), &policy()) {
                Settlement::Retry(d) => d.as_secs(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert!(delays[0] >= 3 && delays[0] <= 4 && delays[1] >= 6 && delays[2] >= 12, "{delays:?}");
        assert!(matches!(settle(&e, &ctx(4, Some(4), 30), &policy()), Settlement::DeadLetter(_)));
        // Counted on the job, not the message: a redelivery that waited behind a lease does not
        // spend the document's tries.
        assert!(matches!(settle(&e, &ctx(9, Some(2), 30), &policy()), Settlement::Retry(_)));
    }

    #[test]
    fn outages_retry_until_the_budget_whatever_the_receive_count() {
        let e = StageError::new(ErrorClass::DatabaseUnavailable, "connection refused");
        match settle(&e, &ctx(12, Some(1), 20 * 60), &policy()) {
            Settlement::Retry(d) => assert!(d >= Duration::from_secs(300) && d <= Duration::from_secs(300)),
            other => panic!("{other:?}"),
        }
        match settle(&e, &ctx(30, None, 3601), &policy()) {
            Settlement::DeadLetter(e) => assert_eq!(e.class, ErrorClass::OutageBudgetExhausted),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn retry_after_is_a_floor_and_poison_is_acknowledged() {
        let e = StageError::new(ErrorClass::RateLimited, "429").with_retry_after(Some(Duration::from_secs(40)));
        assert_eq!(settle(&e, &ctx(1, None, 0), &policy()), Settlement::Retry(Duration::from_secs(40)));
        let p = StageError::new(ErrorClass::UnknownJob, "no such job");
        assert_eq!(settle(&p, &ctx(1, None, 0), &policy()), Settlement::Acknowledge);
        let perm = StageError::new(ErrorClass::Encrypted, "locked");
        assert_eq!(settle(&perm, &ctx(1, Some(1), 0), &policy()), Settlement::DeadLetter(perm.clone()));
    }
}
