"""Drive the rollout datamodule's trajectory depth from a schedule, one training step per epoch."""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.utilities import rank_zero_warn

from callbacks.schedules import Schedule
from tcod_pl.turn_stats import StepTurnStats, TurnKL

MODES = ("f2b", "b2f")


class CurriculumCallback(Callback):
    """TCOD: before step n's rollouts, set the depth k = ``schedule.depth(n)`` on the datamodule.

    Step n = ``trainer.current_epoch + 1`` (one epoch = one rollout batch + one update). Rollouts are
    lazy (they run when the train dataloader is iterated), so ``on_train_epoch_start`` is in time.
    ``mode``: "f2b" truncates episodes after k student turns; "b2f" replays max(0, L - k) expert
    actions first. ``Constant()`` (depth None) gives vanilla OPD in either mode.

    The per-turn KL of each step is fed to the schedule (``Adaptive`` uses it) at the step's end.
    Checkpoints hold the schedule's state, the last step and depth, and any statistics not yet fed
    (a checkpoint saved at validation end comes before ``on_train_epoch_end``).
    """

    def __init__(self, schedule: Schedule, mode: str = "f2b"):
        if mode not in MODES:
            raise ValueError(f"CurriculumCallback: mode must be one of {MODES}, got {mode!r}")
        if not hasattr(schedule, "depth"):
            raise ValueError(f"CurriculumCallback: schedule must have depth(step), got {schedule!r}")
        self.schedule = schedule
        self.mode = mode
        self.step = 0
        self.depth: int | None = None
        self.stats = StepTurnStats()
        self.stats_step = 0  # the step whose statistics are in self.stats, 0 when none pending
        self._seen_rollouts = 0  # entries of the datamodule's depth_history already accounted for

    def hparams(self) -> dict[str, Any]:
        params = {f"schedule/{k}": v for k, v in self.schedule.hparams().items()}
        return {"curriculum/schedule": type(self.schedule).__name__, "curriculum/mode": self.mode, **params}

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage != "fit":
            return
        datamodule = trainer.datamodule
        if not callable(getattr(datamodule, "set_curriculum", None)):
            raise ValueError(
                "CurriculumCallback needs a datamodule with set_curriculum(depth, mode) "
                f"(e.g. tcod_pl.rollout.datamodule.RolloutDataModule), got {type(datamodule).__name__}"
            )

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # Lightning fetches the first batch of an unsized train loader when it builds the loader,
        # before on_train_epoch_start (first epoch of a fit, and of a resumed fit). Set the depth of
        # the coming step now; self.step is the last step started (restored on resume), 0 if none.
        self._feed_schedule(trainer)  # statistics left over from a resumed checkpoint
        trainer.datamodule.set_curriculum(self.schedule.depth(self.step + 1), self.mode)
        self._seen_rollouts = len(self._rollout_history(trainer))

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._feed_schedule(trainer)
        self.step = trainer.current_epoch + 1
        self.depth = self.schedule.depth(self.step)
        trainer.datamodule.set_curriculum(self.depth, self.mode)
        logged = self.depth if self.depth is not None else getattr(trainer.datamodule, "max_turns", None)
        if logged is not None:
            pl_module.log("curriculum/depth", float(logged), on_step=False, on_epoch=True, batch_size=1)
        self.stats.reset()
        self.stats_step = self.step

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        self.stats.add(TurnKL.from_outputs(outputs))

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._check_rollouts(trainer, pl_module)
        self._feed_schedule(trainer)

    def _feed_schedule(self, trainer: pl.Trainer) -> None:
        if not self.stats_step:
            return
        self.stats.all_reduce(trainer.strategy, trainer.world_size)
        self.schedule.update(self.stats_step, self.stats.kl_by_turn(), self.stats.low_support_by_turn())
        self.stats.reset()
        self.stats_step = 0

    def _check_rollouts(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Log what this step's rollouts looked like (the datamodule's record); warn on a wrong depth."""
        # The rollouts recorded since the last step ended are this step's (the first step's may
        # have run before on_train_epoch_start, when Lightning prefetched from an unsized loader).
        history = self._rollout_history(trainer)
        done, self._seen_rollouts = history[self._seen_rollouts :], len(history)
        if not done:
            return
        if "depth" in done[-1] and done[-1]["depth"] != self.depth:
            rank_zero_warn(
                f"CurriculumCallback: the rollouts of step {self.step} used depth {done[-1]['depth']}, "
                f"the schedule says {self.depth}: the train loader was iterated before the depth was set."
            )
        for key in ("mean_student_turns", "mean_replayed"):
            if done[-1].get(key) is not None:
                value = float(done[-1][key])
                pl_module.log(f"curriculum/{key}", value, on_step=False, on_epoch=True, batch_size=1)

    @staticmethod
    def _rollout_history(trainer: pl.Trainer) -> list[dict[str, Any]]:
        return list(getattr(trainer.datamodule, "depth_history", None) or [])

    def state_dict(self) -> dict[str, Any]:
        return {
            "schedule_class": type(self.schedule).__name__,
            "schedule": self.schedule.state_dict(),
            "mode": self.mode,
            "step": self.step,
            "depth": self.depth,
            "stats": self.stats.state_dict(),
            "stats_step": self.stats_step,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        saved = (state_dict.get("schedule_class"), state_dict.get("mode"))
        if saved != (type(self.schedule).__name__, self.mode):
            # A deliberate switch (e.g. continue a vanilla run with TCOD) is allowed, but say so.
            rank_zero_warn(
                f"CurriculumCallback: checkpoint was written with {saved[0]}/{saved[1]}, resuming with "
                f"{type(self.schedule).__name__}/{self.mode}; the schedule's own state is not restored."
            )
        else:
            self.schedule.load_state_dict(state_dict["schedule"])
            self.stats.load_state_dict(state_dict["stats"])
            self.stats_step = int(state_dict.get("stats_step", 0))
        self.step = int(state_dict["step"])
        self.depth = state_dict["depth"]
