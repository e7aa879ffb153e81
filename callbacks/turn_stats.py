"""Per-turn KL and teacher-support sums over one training step, from ``training_step`` outputs."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import lightning.pytorch as pl
import torch

# Keys of DistillationModule.training_step's output that are summed turn index by turn index.
BY_TURN = ("kl_by_turn_sum", "kl_by_turn_count", "low_support_by_turn_sum", "tokens_by_turn")


class TurnStats:
    """Sums of per-turn statistics over the batches of one step (a Lightning epoch)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.sums = {k: torch.zeros(0, dtype=torch.float64) for k in BY_TURN}
        self.traj_sum = 0.0
        self.traj_count = 0.0

    @property
    def empty(self) -> bool:
        return self.traj_count == 0 and not any(v.numel() for v in self.sums.values())

    def add(self, outputs: Any) -> None:
        """Add one batch's outputs; anything that is not a dict with the per-turn keys is skipped."""
        if not isinstance(outputs, Mapping):
            return
        for key in BY_TURN:
            if key in outputs:
                self.sums[key] = _add_padded(self.sums[key], outputs[key])
        if "traj_kl" in outputs:
            traj = outputs["traj_kl"].detach().double().cpu()
            self.traj_sum += float(traj.sum())
            self.traj_count += traj.numel()

    def all_reduce(self, trainer: pl.Trainer) -> None:
        """Sum over ranks, so every rank sees (and decides on) the same numbers."""
        if trainer.world_size <= 1:
            return
        strategy = trainer.strategy
        device = strategy.root_device
        length = max(v.numel() for v in self.sums.values())
        length = int(strategy.all_gather(torch.tensor(length, device=device)).max())
        packed = torch.cat(
            [_pad(self.sums[k], length) for k in BY_TURN]
            + [torch.tensor([self.traj_sum, self.traj_count], dtype=torch.float64)]
        ).to(device)
        packed = strategy.reduce(packed, reduce_op="sum").cpu()
        for i, key in enumerate(BY_TURN):
            self.sums[key] = packed[i * length : (i + 1) * length]
        self.traj_sum, self.traj_count = float(packed[-2]), float(packed[-1])

    def kl_by_turn(self) -> list[float]:
        """Mean per-turn KL at each turn index; NaN where no turn had that index."""
        return _ratio(self.sums["kl_by_turn_sum"], self.sums["kl_by_turn_count"])

    def low_support_by_turn(self) -> list[float]:
        """Fraction of tokens with teacher probability below the threshold, by turn index."""
        return _ratio(self.sums["low_support_by_turn_sum"], self.sums["tokens_by_turn"])

    def traj_kl_mean(self) -> float:
        return self.traj_sum / self.traj_count if self.traj_count else math.nan

    def state_dict(self) -> dict[str, Any]:
        return {
            "sums": {k: v.tolist() for k, v in self.sums.items()},
            "traj_sum": self.traj_sum,
            "traj_count": self.traj_count,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.sums = {k: torch.tensor(state["sums"].get(k, []), dtype=torch.float64) for k in BY_TURN}
        self.traj_sum, self.traj_count = float(state["traj_sum"]), float(state["traj_count"])


def _pad(v: torch.Tensor, length: int) -> torch.Tensor:
    return torch.cat([v, v.new_zeros(length - v.numel())]) if v.numel() < length else v


def _add_padded(acc: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    value = value.detach().double().cpu().reshape(-1)
    length = max(acc.numel(), value.numel())
    return _pad(acc, length) + _pad(value, length)


def _ratio(num: torch.Tensor, den: torch.Tensor) -> list[float]:
    length = max(num.numel(), den.numel())
    num, den = _pad(num, length), _pad(den, length)
    return [float(n / d) if d > 0 else math.nan for n, d in zip(num.tolist(), den.tolist())]
