//! Checkpoints: making the journal durable every `--checkpoint-every` actions. Where a written
//! side defers durability (`durability.v1`), a checkpoint first syncs that side, so that no
//! journal line vouches for bytes a power cut could lose. That sync is the slow part, so it runs
//! on a checkpointer thread: when a checkpoint is due the held lines are taken as one batch and
//! handed over, and the workers go on copying while the checkpointer syncs the sides and then
//! writes and fsyncs the batch. Batches are written in the order they were taken, and each
//! sync starts after its batch was taken, so it covers every write the batch records.

use std::sync::mpsc::Receiver;

use anyhow::Result;

use super::Run;
use crate::state::StateStore;

impl Run<'_, '_> {
    /// Makes what this run wrote durable on the sides that defer it.
    pub(super) fn sync_deferred(&self) -> Result<()> {
        for &which in &self.deferred {
            let backend = self.executor.side(which).backend;
            backend.sync_deferred().map_err(|e| {
                anyhow::anyhow!("cannot flush what was written to {}: {e}", backend.label())
            })?;
        }
        Ok(())
    }

    /// A checkpoint of `store` is due: handed to the checkpointer where there is one, else
    /// done here.
    pub(super) fn checkpoint_due(&self, store: &mut StateStore) -> Result<()> {
        match &*self.checkpoints.lock().expect("checkpoints") {
            Some(checkpointer) => {
                // It hangs up only after a failure, which has stopped the run already.
                let _ = checkpointer.send(store.take_checkpoint());
                Ok(())
            }
            None => self.sync_deferred().and_then(|()| store.checkpoint()),
        }
    }

    /// The checkpointer thread: for each batch of lines, in order, syncs the written sides and
    /// then writes and fsyncs the batch. After a failure no later batch is written.
    pub(super) fn write_checkpoints(&self, batches: Receiver<String>) {
        let Some(state) = &self.state else { return };
        let mut failed = false;
        for lines in batches {
            if failed {
                continue;
            }
            let written = self
                .sync_deferred()
                .and_then(|()| state.lock().expect("state").store.write_checkpoint(&lines));
            if let Err(error) = written {
                failed = true;
                self.state_failed(error);
            }
        }
    }

    /// The state could not be written: the run stops, and the error is returned at its end.
    pub(super) fn state_failed(&self, error: anyhow::Error) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.state_error
            .lock()
            .expect("state error")
            .get_or_insert(error);
    }
}
