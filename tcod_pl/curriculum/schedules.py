"""Depth schedules for the temporal curriculum: step n (from 1) -> number of student turns k.

Each schedule is a small class chosen in YAML (``class_path`` / ``init_args``). ``depth(n)`` returns
an int, or ``None`` for "full episodes" (vanilla OPD: no truncation, no expert prefix).
``update`` receives per-step KL statistics; only ``Adaptive`` uses them.
"""

from __future__ import annotations

import math
from typing import Any


def _check_step(step: int) -> None:
    if step < 1:
        raise ValueError(f"training steps start at 1, got step={step}")


class Schedule:
    """Base class: a map from training step to curriculum depth; stateless unless overridden."""

    def depth(self, step: int) -> int | None:
        raise NotImplementedError

    def update(self, step: int, kl_by_turn: list[float], low_support_by_turn: list[float]) -> None:
        """Called once per step after its update; NaN marks turn indices that had no data."""

    def hparams(self) -> dict[str, Any]:
        """The parameters worth recording with the run's results."""
        return {}

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hparams().items())
        return f"{type(self).__name__}({args})"


class Linear(Schedule):
    """The paper's schedule: k = min(k_start + floor(n / eta), max_depth)."""

    def __init__(self, k_start: int = 1, eta: int = 2, max_depth: int = 30):
        if k_start < 1:
            raise ValueError(f"Linear: k_start must be >= 1, got {k_start}")
        if eta <= 0:
            raise ValueError(f"Linear: eta (steps per depth increase) must be > 0, got {eta}")
        if max_depth < k_start:
            raise ValueError(f"Linear: max_depth ({max_depth}) must be >= k_start ({k_start})")
        self.k_start, self.eta, self.max_depth = k_start, eta, max_depth

    def depth(self, step: int) -> int:
        _check_step(step)
        return min(self.k_start + step // self.eta, self.max_depth)

    def hparams(self) -> dict[str, Any]:
        return {"k_start": self.k_start, "eta": self.eta, "max_depth": self.max_depth}


class Constant(Schedule):
    """A fixed depth. ``depth=None`` (the default) means full episodes: vanilla OPD.

    In F2B mode ``Constant(T_max)`` is the same as ``None`` (truncating at the cap truncates
    nothing). In B2F mode they differ: ``Constant(T_max)`` still replays the first
    max(0, L - T_max) expert actions of tasks whose expert trajectory is longer than T_max, while
    ``None`` never replays. Use ``None`` for vanilla OPD.
    """

    def __init__(self, depth: int | None = None):
        if depth is not None and depth < 1:
            raise ValueError(f"Constant: depth must be >= 1 or null (full episodes), got {depth}")
        self._depth = depth

    def depth(self, step: int) -> int | None:
        _check_step(step)
        return self._depth

    def hparams(self) -> dict[str, Any]:
        return {"depth": self._depth}


class Step(Schedule):
    """Piecewise-constant depth: ``milestones`` maps a first step to the depth used from it on.

    Give a mapping ``{1: 2, 50: 4, 100: 8}`` or pairs ``[[1, 2], [50, 4], [100, 8]]``; the steps
    must increase strictly and the first must be 1 (so every step has a depth).
    """

    def __init__(self, milestones: dict[int, int] | list[list[int]]):
        pairs = list(milestones.items()) if isinstance(milestones, dict) else [tuple(p) for p in milestones]
        if not pairs:
            raise ValueError("Step: milestones must not be empty")
        for pair in pairs:
            if len(pair) != 2:
                raise ValueError(f"Step: each milestone is [step, depth], got {list(pair)}")
        steps = [int(s) for s, _ in pairs]
        depths = [int(d) for _, d in pairs]
        if steps[0] != 1:
            raise ValueError(f"Step: the first milestone must start at step 1, got step {steps[0]}")
        if any(b <= a for a, b in zip(steps, steps[1:])):
            raise ValueError(f"Step: milestone steps must increase strictly, got {steps}")
        if min(depths) < 1:
            raise ValueError(f"Step: depths must be >= 1, got {depths}")
        self.steps, self.depths = steps, depths

    def depth(self, step: int) -> int:
        _check_step(step)
        current = self.depths[0]
        for start, d in zip(self.steps, self.depths):
            if step >= start:
                current = d
        return current

    def hparams(self) -> dict[str, Any]:
        return {"milestones": str(dict(zip(self.steps, self.depths)))}


class Adaptive(Schedule):
    """Grow the depth while the KL at the frontier is stable; hold (or back off) when it escalates.

    Rule, applied in ``update(step, kl_by_turn, low_support_by_turn)`` once per step:

    1. Signal x: the mean, over the ``frontier_turns`` deepest turn indices that have data this
       step (the last turns reached; in F2B the turns just below the depth k), of the mean per-turn
       KL (``signal="frontier_kl"``) or of the teacher low-support rate (``signal="support"``).
       A step with no data changes nothing.
    2. Smoothed signal: e = x on the first step at a depth, else e = ema * e_prev + (1 - ema) * x.
    3. Escalation: e - e_prev > band * max(|e_prev|, min_scale) (a relative rise of more than
       ``band``; ``min_scale`` keeps near-zero KL from making any rise look huge).
    4. Decisions are taken only after ``min_dwell`` steps at the current depth (and never on the
       first step at a depth, which only sets the baseline):
       - escalation: hold k; with ``backoff=True``, k = max(min_depth, k - 1) instead;
       - otherwise (stable or falling): k = min(max_depth, k + 1).
       Any change of k resets the smoothed signal, because deeper turns have a different KL level
       (per-turn KL rises with the turn index), so the new frontier gets its own baseline.

    ``depth(step)`` returns the current k (it ignores ``step``). Updates for a step at or before
    the last one seen are ignored, so replays after a checkpoint resume cannot double count.
    """

    SIGNALS = ("frontier_kl", "support")

    def __init__(
        self,
        k_start: int = 1,
        max_depth: int = 30,
        min_depth: int = 1,
        ema: float = 0.5,
        band: float = 0.1,
        min_dwell: int = 2,
        signal: str = "frontier_kl",
        frontier_turns: int = 1,
        backoff: bool = False,
        min_scale: float = 1e-3,
    ):
        if min_depth < 1:
            raise ValueError(f"Adaptive: min_depth must be >= 1, got {min_depth}")
        if not min_depth <= k_start <= max_depth:
            raise ValueError(
                f"Adaptive: need min_depth <= k_start <= max_depth, got {min_depth}, {k_start}, {max_depth}"
            )
        if not 0.0 <= ema < 1.0:
            raise ValueError(f"Adaptive: ema (weight of the previous value) must be in [0, 1), got {ema}")
        if band < 0:
            raise ValueError(f"Adaptive: band must be >= 0, got {band}")
        if min_dwell < 1:
            raise ValueError(f"Adaptive: min_dwell must be >= 1, got {min_dwell}")
        if signal not in self.SIGNALS:
            raise ValueError(f"Adaptive: signal must be one of {self.SIGNALS}, got {signal!r}")
        if frontier_turns < 1:
            raise ValueError(f"Adaptive: frontier_turns must be >= 1, got {frontier_turns}")
        if min_scale <= 0:
            raise ValueError(f"Adaptive: min_scale must be > 0, got {min_scale}")
        self.k_start, self.max_depth, self.min_depth = k_start, max_depth, min_depth
        self.ema, self.band, self.min_dwell = ema, band, min_dwell
        self.signal, self.frontier_turns = signal, frontier_turns
        self.backoff, self.min_scale = backoff, min_scale
        self.current = k_start
        self.smoothed: float | None = None
        self.steps_at_depth = 0
        self.last_step = 0
        self.last_decision = "start"

    def depth(self, step: int) -> int:
        _check_step(step)
        return self.current

    def frontier_signal(self, kl_by_turn: list[float], low_support_by_turn: list[float]) -> float | None:
        values = kl_by_turn if self.signal == "frontier_kl" else low_support_by_turn
        # The frontier is the deepest turn indices with data: where the student has got to.
        with_data = [i for i, v in enumerate(values) if v is not None and math.isfinite(v)]
        if not with_data:
            return None
        frontier = with_data[-self.frontier_turns :]
        return sum(values[i] for i in frontier) / len(frontier)

    def update(self, step: int, kl_by_turn: list[float], low_support_by_turn: list[float]) -> None:
        if step <= self.last_step:
            return
        self.last_step = step
        x = self.frontier_signal(kl_by_turn, low_support_by_turn)
        if x is None:
            self.last_decision = "no data"
            return
        previous = self.smoothed
        self.smoothed = x if previous is None else self.ema * previous + (1.0 - self.ema) * x
        self.steps_at_depth += 1
        if previous is None or self.steps_at_depth < self.min_dwell:
            self.last_decision = "dwell"
            return
        escalating = self.smoothed - previous > self.band * max(abs(previous), self.min_scale)
        if escalating:
            target = max(self.min_depth, self.current - 1) if self.backoff else self.current
            self.last_decision = "back off" if target != self.current else "hold"
        else:
            target = min(self.max_depth, self.current + 1)
            self.last_decision = "grow" if target != self.current else "at ceiling"
        if target != self.current:
            self.current = target
            self.smoothed = None
            self.steps_at_depth = 0

    def hparams(self) -> dict[str, Any]:
        return {
            "k_start": self.k_start,
            "max_depth": self.max_depth,
            "min_depth": self.min_depth,
            "ema": self.ema,
            "band": self.band,
            "min_dwell": self.min_dwell,
            "signal": self.signal,
            "frontier_turns": self.frontier_turns,
            "backoff": self.backoff,
        }

    def state_dict(self) -> dict[str, Any]:
        return {
            "current": self.current,
            "smoothed": self.smoothed,
            "steps_at_depth": self.steps_at_depth,
            "last_step": self.last_step,
            "last_decision": self.last_decision,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.current = int(state["current"])
        self.smoothed = state["smoothed"]
        self.steps_at_depth = int(state["steps_at_depth"])
        self.last_step = int(state["last_step"])
        self.last_decision = state.get("last_decision", "restored")
