"""``last.ckpt`` on its own cadence: a large student's checkpoint (weights + Adam moments) costs tens
of GB, so writing it after every training step is not free."""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.callbacks import ModelCheckpoint


class CadenceCheckpoint(ModelCheckpoint):
    """``ModelCheckpoint`` whose ``last.ckpt`` is written every ``last_every_n_epochs`` training steps
    (null: ``every_n_epochs``, else every step), at the end of training and on an exception
    (SIGTERM: the step in progress), whatever the Lightning version (before 2.6 Lightning wrote
    ``last.ckpt`` every epoch; since 2.6 only with a top-k checkpoint, and not at the final step).
    A resumed run restarts from the step after the one saved, so it stays exact; at most
    ``last_every_n_epochs - 1`` steps are redone after a crash (kill -9).
    """

    def __init__(self, *args: Any, last_every_n_epochs: int | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if last_every_n_epochs is not None and last_every_n_epochs < 1:
            raise ValueError(
                f"checkpoint.last_every_n_epochs must be >= 1 (or null for every_n_epochs), got {last_every_n_epochs}"
            )
        self.last_every_n_epochs = last_every_n_epochs
        self._last_step_saved: int | None = None
        self._forced = False

    @property
    def last_cadence(self) -> int:
        if self.last_every_n_epochs is not None:
            return self.last_every_n_epochs
        return self._every_n_epochs if self._every_n_epochs and self._every_n_epochs > 0 else 1

    def _save_last_checkpoint(self, trainer: pl.Trainer, monitor_candidates: dict[str, Any]) -> None:
        if not self._forced:
            if self._last_step_saved == trainer.global_step:
                return
            if (trainer.current_epoch + 1) % self.last_cadence != 0:
                return
        super()._save_last_checkpoint(trainer, monitor_candidates)
        self._last_step_saved = trainer.global_step

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_train_epoch_end(trainer, pl_module)  # top-k on every_n_epochs (last: gated above)
        if self.save_last and not trainer.fast_dev_run and self._should_save_on_train_epoch_end(trainer):
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.save_last and not trainer.fast_dev_run and self._last_step_saved != trainer.global_step:
            self._forced_save(trainer)

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        self._forced = True
        try:
            super().on_exception(trainer, pl_module, exception)
        finally:
            self._forced = False

    def _forced_save(self, trainer: pl.Trainer) -> None:
        self._forced = True
        try:
            super()._save_last_checkpoint(trainer, self._monitor_candidates(trainer))
            self._last_step_saved = trainer.global_step
        finally:
            self._forced = False
