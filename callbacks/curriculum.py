"""The curriculum's Lightning hooks: count steps, log the depth, feed the schedule, checkpoint."""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.utilities import rank_zero_warn

from tcod_pl.curriculum import Curriculum, Schedule
from tcod_pl.turn_stats import TurnKL


class CurriculumCallback(Curriculum, Callback):
    """TCOD in a Trainer: :class:`tcod_pl.curriculum.Curriculum` (schedule + mode) driven by the epochs.

    Step n = ``trainer.current_epoch + 1`` (one epoch = one rollout batch + one update). The rollout
    datamodule asks this curriculum for step n's depth rule when it plays the step. Set it with the
    CLI's ``curriculum:`` key. Checkpoints hold the schedule's state, the last step and depth, and any
    statistics not yet fed (a checkpoint saved at validation end comes before ``on_train_epoch_end``),
    so a resumed run continues at the same depth.
    """

    def __init__(self, schedule: Schedule, mode: str = "f2b"):
        super().__init__(schedule, mode)
        self._warned = False

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # Statistics left over in a checkpoint saved at validation end: the next step's depth needs them.
        self.feed_schedule(trainer.strategy, trainer.world_size)

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.feed_schedule(trainer.strategy, trainer.world_size)
        self.begin_step(trainer.current_epoch + 1)

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        self.add_stats(TurnKL.from_outputs(outputs))

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        rule, record = self.end_step()
        if rule is None:
            if not self._warned:
                self._warned = True
                rank_zero_warn(
                    f"CurriculumCallback: nothing asked for the depth rule of step {self.step}: the "
                    f"datamodule ({type(trainer.datamodule).__name__}) does not follow a curriculum; "
                    "use tcod_pl.rollout.datamodule.RolloutDataModule."
                )
        else:
            depth = rule.depth if rule.depth is not None else rule.max_turns
            pl_module.log("curriculum/depth", float(depth), on_step=False, on_epoch=True, batch_size=1)
        if record is not None:
            for key in ("mean_student_turns", "mean_replayed"):
                value = float(getattr(record, key))
                pl_module.log(f"curriculum/{key}", value, on_step=False, on_epoch=True, batch_size=1)
        self.feed_schedule(trainer.strategy, trainer.world_size)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        saved = (state_dict.get("schedule_class"), state_dict.get("mode"))
        if not super().load_state_dict(state_dict):
            # A deliberate switch (e.g. continue a vanilla run with TCOD) is allowed, but say so.
            rank_zero_warn(
                f"CurriculumCallback: checkpoint was written with {saved[0]}/{saved[1]}, resuming with "
                f"{type(self.schedule).__name__}/{self.mode}; the schedule's own state is not restored."
            )
