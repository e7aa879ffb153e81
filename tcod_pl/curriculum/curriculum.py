"""The curriculum owns the depth: which rule each training step's rollouts follow.

The rollout side asks :meth:`Curriculum.rule` when it plays a training step and reports what it
played (:class:`RolloutRecord`); nothing pushes a depth into the datamodule. The Lightning hooks
that drive the step count and feed the schedule live in ``callbacks.CurriculumCallback``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tcod_pl.curriculum.rules import DepthRule, curriculum_modes, make_rule
from tcod_pl.curriculum.schedules import Schedule
from tcod_pl.data.episode import Episode
from tcod_pl.turn_stats import StepTurnStats, TurnKL


@dataclass
class RolloutRecord:
    """What one training step's rollouts were: the rule they followed and what it gave."""

    epoch: int
    step: int
    depth: int | None
    mode: str
    episodes: int
    mean_student_turns: float
    mean_replayed: float

    @classmethod
    def of(cls, epoch: int, rule: DepthRule, episodes: Sequence[Episode]) -> RolloutRecord:
        n = max(1, len(episodes))
        return cls(
            epoch=epoch,
            step=epoch + 1,
            depth=rule.depth,
            mode=rule.mode,
            episodes=len(episodes),
            mean_student_turns=sum(e.num_supervised for e in episodes) / n,
            mean_replayed=sum(e.expert_prefix for e in episodes) / n,
        )


class Curriculum:
    """TCOD: at training step n the rollouts follow ``mode``'s rule at depth k = ``schedule.depth(n)``.

    ``mode``: "f2b" truncates episodes after k student turns; "b2f" replays max(0, L - k) expert
    actions first (any mode of ``tcod_pl.curriculum.rules`` that takes a depth). ``Constant()``
    (depth None) gives vanilla OPD in either mode. Steps count from 1; one step is one rollout batch
    and its update. The per-turn KL of each step is fed to the schedule (``Adaptive`` uses it).
    """

    def __init__(self, schedule: Schedule, mode: str = "f2b"):
        if mode not in curriculum_modes():
            raise ValueError(f"CurriculumCallback: mode must be one of {curriculum_modes()}, got {mode!r}")
        if not callable(getattr(schedule, "depth", None)):
            raise ValueError(f"CurriculumCallback: schedule must have depth(step), got {schedule!r}")
        self.schedule = schedule
        self.mode = mode
        self.step = 0  # the last step begun (restored on resume)
        self.in_step = False
        self.depth: int | None = None
        self.stats = StepTurnStats()
        self.stats_step = 0  # the step whose statistics are in self.stats, 0 when none pending
        self.asked: tuple[int, DepthRule] | None = None  # (step, rule) last handed to the rollout side
        self.reported: RolloutRecord | None = None  # the rollout side's record of the current step

    def hparams(self) -> dict[str, Any]:
        params = {f"schedule/{k}": v for k, v in self.schedule.hparams().items()}
        return {"curriculum/schedule": type(self.schedule).__name__, "curriculum/mode": self.mode, **params}

    # ----- asked by the rollout side ----------------------------------------------------------------
    def rule(self, max_turns: int) -> DepthRule:
        """The rule of the step whose training rollouts are played now.

        That is the step in progress, or the next one when asked before it began: Lightning fetches
        the first batch of a fit (fresh or resumed) while it builds the loader, before the epoch's
        start hooks.
        """
        step = self.step if self.in_step else self.step + 1
        rule = make_rule(self.mode, self.schedule.depth(step), max_turns)
        self.asked = (step, rule)
        return rule

    def report(self, record: RolloutRecord) -> None:
        """What the rollouts of the current step gave (logged at the step's end)."""
        self.reported = record

    # ----- step lifecycle (driven by the Lightning callback) ------------------------------------------
    def begin_step(self, step: int) -> None:
        self.step, self.in_step = step, True
        self.depth = self.schedule.depth(step)
        self.stats.reset()
        self.stats_step = step

    def add_stats(self, stats: TurnKL | None) -> None:
        self.stats.add(stats)

    def end_step(self) -> tuple[DepthRule | None, RolloutRecord | None]:
        """Close the step; the rule handed out for it (None: nobody asked) and the rollout record."""
        self.in_step = False
        rule = self.asked[1] if self.asked is not None and self.asked[0] == self.step else None
        record, self.reported = self.reported, None
        return rule, record

    def feed_schedule(self, strategy: Any = None, world_size: int = 1) -> None:
        """Give the schedule the pending step's per-turn statistics (summed over ranks first)."""
        if not self.stats_step:
            return
        self.stats.all_reduce(strategy, world_size)
        self.schedule.update(self.stats_step, self.stats.kl_by_turn(), self.stats.low_support_by_turn())
        self.stats.reset()
        self.stats_step = 0

    # ----- checkpoints ------------------------------------------------------------------------------
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

    def load_state_dict(self, state_dict: dict[str, Any]) -> bool:
        """Restore; False when the checkpoint's schedule or mode differ (their state is not restored)."""
        same = (state_dict.get("schedule_class"), state_dict.get("mode")) == (
            type(self.schedule).__name__,
            self.mode,
        )
        if same:
            self.schedule.load_state_dict(state_dict["schedule"])
            self.stats.load_state_dict(state_dict["stats"])
            self.stats_step = int(state_dict.get("stats_step", 0))
        self.step = int(state_dict["step"])
        self.depth = state_dict["depth"]
        return same


def find_curriculum(trainer: Any) -> Curriculum | None:
    """The trainer's curriculum (a callback), or None: then training episodes are full depth."""
    found = [cb for cb in getattr(trainer, "callbacks", []) if isinstance(cb, Curriculum)]
    if len(found) > 1:
        raise ValueError(
            f"the trainer has {len(found)} curricula ({', '.join(type(c).__name__ for c in found)}): "
            "set one, under the `curriculum:` key (not in trainer.callbacks)"
        )
    return found[0] if found else None
