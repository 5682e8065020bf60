//! Model upgrades without a silent loss of quality: re-embedding an index with a new model in
//! small steps, while the old index keeps answering.
//!
//! An index holds the vectors of exactly one model ([`Engine::model`]) and refuses others
//! (`MODEL_MISMATCH`). When the application ships a new model, it starts a [`ModelMigration`]
//! from the current index, calls [`ModelMigration::step`] between queries (in the browser: from
//! the worker's idle loop, a few documents at a time) and, once [`ModelMigration::is_done`],
//! swaps in the result of [`ModelMigration::finish`]. `finish` reconciles what changed in the
//! live index meanwhile (documents added, updated or removed after the start), so nothing is lost.

use crate::document::Document;
use crate::embed::{Embedder, ModelTag};
use crate::engine::Engine;
use crate::error::{CoreError, Result};

/// How far a [`ModelMigration`] has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MigrationProgress {
    /// Documents re-embedded so far.
    pub done: usize,
    /// Documents to re-embed in all (the live documents when the migration started).
    pub total: usize,
}

/// A re-embedding of an index's documents with a new model; see the [module docs](self).
#[derive(Debug)]
pub struct ModelMigration {
    target: Engine,
    pending: Vec<Document>,
    total: usize,
    model: ModelTag,
}

impl ModelMigration {
    /// Starts re-embedding `current`'s live documents for `model` (the new embedder's tag). The
    /// new index has `current`'s configuration.
    pub fn start(current: &Engine, model: &ModelTag) -> Result<Self> {
        if model.dims == 0 {
            return Err(CoreError::InvalidInput("model has dimension 0".into()));
        }
        if current.has_static() {
            return Err(CoreError::InvalidInput(
                "an index with a static index attached cannot migrate: rebuild the static index \
                 with the new model (scry index --model) instead"
                    .into(),
            ));
        }
        let target = Engine::new(current.config().clone())?;
        let mut pending: Vec<Document> = current.documents().cloned().collect();
        // Embedded from the end (pop); keep the index's order.
        pending.reverse();
        Ok(Self {
            target,
            total: pending.len(),
            pending,
            model: model.clone(),
        })
    }

    /// Re-embeds up to `max_docs` more documents with `embedder` (which must be the model the
    /// migration was started for). On an error nothing of this step is kept and the step can be
    /// retried.
    pub fn step(
        &mut self,
        embedder: &mut dyn Embedder,
        max_docs: usize,
    ) -> Result<MigrationProgress> {
        self.check(embedder)?;
        let n = max_docs.max(1).min(self.pending.len());
        let chunk: Vec<Document> = self.pending[self.pending.len() - n..]
            .iter()
            .rev()
            .cloned()
            .collect();
        self.target.add_embedded(chunk, embedder)?;
        self.pending.truncate(self.pending.len() - n);
        Ok(self.progress())
    }

    /// Progress so far.
    pub fn progress(&self) -> MigrationProgress {
        MigrationProgress {
            done: self.total - self.pending.len(),
            total: self.total,
        }
    }

    /// True once every document of the start has been re-embedded.
    pub fn is_done(&self) -> bool {
        self.pending.is_empty()
    }

    /// The new index, brought up to date with `current` (the live index, which may have changed
    /// since the start): documents added or changed since are embedded now, documents removed
    /// are dropped. Fails with `INVALID_INPUT` while steps remain.
    pub fn finish(mut self, current: &Engine, embedder: &mut dyn Embedder) -> Result<Engine> {
        self.check(embedder)?;
        if !self.is_done() {
            return Err(CoreError::InvalidInput(format!(
                "the model migration is not done ({} of {} documents re-embedded)",
                self.progress().done,
                self.total
            )));
        }
        let stale: Vec<String> = self
            .target
            .documents()
            .filter(|d| current.get(&d.id) != Some(*d))
            .map(|d| d.id.clone())
            .collect();
        self.target.remove(&stale);
        let fresh: Vec<Document> = current
            .documents()
            .filter(|d| self.target.get(&d.id).is_none())
            .cloned()
            .collect();
        if !fresh.is_empty() {
            self.target.add_embedded(fresh, embedder)?;
        }
        self.target.maintain();
        Ok(self.target)
    }

    fn check(&self, embedder: &dyn Embedder) -> Result<()> {
        if embedder.model() != &self.model {
            return Err(CoreError::ModelMismatch {
                index: format!("{} (migration target)", self.model.id),
                given: embedder.model().id.clone(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::embed::HashEmbedder;
    use crate::engine::{EngineConfig, Mode, SearchOptions};

    fn doc(i: usize) -> Document {
        Document::new(
            format!("d{i}"),
            format!("Title {i}"),
            format!("body of document number {i} about topic{}", i % 7),
        )
    }

    #[test]
    fn migration_re_embeds_everything_and_reconciles_changes() {
        let mut old_model = HashEmbedder::new(64).unwrap();
        let mut engine = Engine::new(EngineConfig::default()).unwrap();
        engine
            .add_embedded((0..50).map(doc).collect(), &mut old_model)
            .unwrap();
        let mut new_model = HashEmbedder::new(96).unwrap();
        // The old index refuses the new model's vectors.
        let err = engine
            .add_embedded(vec![doc(99)], &mut new_model)
            .unwrap_err();
        assert_eq!(err.code(), "MODEL_MISMATCH");

        let mut m = ModelMigration::start(&engine, new_model.model()).unwrap();
        let p = m.step(&mut new_model, 20).unwrap();
        assert_eq!((p.done, p.total), (20, 50));
        // A step with the wrong model is refused and changes nothing.
        assert_eq!(
            m.step(&mut old_model, 20).unwrap_err().code(),
            "MODEL_MISMATCH"
        );
        assert_eq!(m.progress().done, 20);
        assert!(!m.is_done());
        // Meanwhile the live index changes: one removal, one update, one addition.
        engine.remove(&["d3"]);
        let mut changed = doc(40);
        changed.body = "completely rewritten body".into();
        engine
            .update_with_vectors(
                vec![changed.clone()],
                old_model
                    .embed(&["completely rewritten body"])
                    .map(|v| vec![v])
                    .unwrap(),
                &old_model.model().clone(),
            )
            .unwrap();
        engine.add_embedded(vec![doc(60)], &mut old_model).unwrap();
        while !m.is_done() {
            m.step(&mut new_model, 20).unwrap();
        }
        let migrated = m.finish(&engine, &mut new_model).unwrap();
        assert_eq!(migrated.model(), Some(new_model.model()));
        assert_eq!(migrated.len(), engine.len());
        assert!(migrated.get("d3").is_none());
        assert_eq!(migrated.get("d40"), Some(&changed));
        assert!(migrated.get("d60").is_some());
        // Every document is searchable by vector with the new model.
        let q = new_model
            .embed(&["completely rewritten body"])
            .unwrap()
            .remove(0);
        let hits = migrated
            .search(
                "completely rewritten body",
                Some(&q),
                &SearchOptions {
                    mode: Mode::Vector,
                    ..SearchOptions::top(3)
                },
            )
            .unwrap();
        assert_eq!(hits[0].id, "d40");
    }

    #[test]
    fn finishing_before_the_last_step_is_an_error() {
        let mut model = HashEmbedder::new(32).unwrap();
        let mut engine = Engine::new(EngineConfig::default()).unwrap();
        engine
            .add_embedded((0..5).map(doc).collect(), &mut model)
            .unwrap();
        let mut m = ModelMigration::start(&engine, model.model()).unwrap();
        m.step(&mut model, 2).unwrap();
        let err = m.finish(&engine, &mut model).unwrap_err();
        assert_eq!(err.code(), "INVALID_INPUT");
    }
}
