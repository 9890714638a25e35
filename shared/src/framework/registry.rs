//! The stages a process runs, registered once at start. The local runner polls the queue of
//! every registered stage; tests register stages of their own (failing, slow, wrapped) in place
//! of the real ones, so production code carries no fault hooks.

use super::AnyStage;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Clone, Default)]
pub struct Registry {
    stages: BTreeMap<&'static str, Arc<dyn AnyStage>>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a stage, replacing any registered under the same name.
    pub fn register(&mut self, stage: impl AnyStage + 'static) -> &mut Self {
        self.register_arc(Arc::new(stage))
    }

    pub fn register_arc(&mut self, stage: Arc<dyn AnyStage>) -> &mut Self {
        self.stages.insert(stage.spec().name, stage);
        self
    }

    pub fn get(&self, name: &str) -> Option<Arc<dyn AnyStage>> {
        self.stages.get(name).cloned()
    }

    /// In pipeline order where the pipeline knows them, then by name.
    pub fn stages(&self) -> Vec<Arc<dyn AnyStage>> {
        let mut all: Vec<_> = self.stages.values().cloned().collect();
        all.sort_by_key(|s| (crate::pipeline::PIPELINE.iter().position(|p| p.name == s.spec().name), s.spec().name));
        all
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.stages().iter().map(|s| s.spec().name).collect()
    }
}
