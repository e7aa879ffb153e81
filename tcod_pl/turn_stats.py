"""Per-turn statistics as typed objects: what the distillation module computes, what callbacks add up.

``TokenTurns`` says, for every supervised token, which episode and which turn it belongs to (explicit
tensors, usable by a loss). ``TurnKL`` is one batch's KL statistics, computed from the per-token
log-probs; ``DistillationModule.training_step`` returns it in its outputs. ``StepTurnStats`` sums
them over the batches of one training step, across ranks, for the curriculum and the KL monitor.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import torch

OUTPUT_KEY = "turn_stats"  # where training_step's output dict carries its TurnKL


@dataclass(frozen=True)
class TokenTurns:
    """Episode index and turn index of every supervised token (two 1-D tensors of equal length)."""

    episode: torch.Tensor
    turn: torch.Tensor

    def turn_ids(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Distinct (episode, turn) pairs as rows [n, 2], and for each token the row of its pair."""
        if self.episode.numel() == 0:
            empty = self.episode.new_zeros(0, dtype=torch.long)
            return empty.reshape(0, 2), empty
        pairs, inverse = torch.unique(
            torch.stack([self.episode, self.turn], dim=1), dim=0, return_inverse=True
        )
        return pairs, inverse


@dataclass
class ByTurn:
    """Sums by turn index (entry i: turns with index i), float64 on the CPU once accumulated."""

    kl_sum: torch.Tensor  # sum over turns of their KL (each turn's KL: sum over its tokens)
    kl_count: torch.Tensor  # number of turns
    low_support_sum: torch.Tensor  # tokens the teacher gives probability below the threshold
    tokens: torch.Tensor  # supervised tokens

    @classmethod
    def empty(cls) -> ByTurn:
        return cls(*(torch.zeros(0, dtype=torch.float64) for _ in fields(cls)))

    def tensors(self) -> list[torch.Tensor]:
        return [getattr(self, f.name) for f in fields(self)]

    def __len__(self) -> int:
        return max(t.numel() for t in self.tensors())

    def __add__(self, other: ByTurn) -> ByTurn:
        length = max(len(self), len(other))
        return ByTurn(
            *(_pad(_cpu(a), length) + _pad(_cpu(b), length) for a, b in zip(self.tensors(), other.tensors()))
        )

    def padded(self, length: int) -> ByTurn:
        return ByTurn(*(_pad(_cpu(t), length) for t in self.tensors()))

    def kl_mean(self) -> list[float]:
        """Mean per-turn KL at each turn index; NaN where no turn had that index."""
        return _ratio(self.kl_sum, self.kl_count)

    def low_support_rate(self) -> list[float]:
        """Fraction of tokens with teacher probability below the threshold, by turn index."""
        return _ratio(self.low_support_sum, self.tokens)


@dataclass
class TurnKL:
    """One batch's KL statistics (log pS - log pT on the sampled tokens), detached."""

    turn_kl: torch.Tensor  # [turns]: KL summed over each (episode, turn)'s tokens
    traj_kl: torch.Tensor  # [episodes]: sum of its turns' KL
    by_turn: ByTurn
    low_support: torch.Tensor  # scalar: fraction of tokens with teacher probability < threshold

    @classmethod
    def compute(
        cls, lp_student: torch.Tensor, lp_teacher: torch.Tensor, where: TokenTurns, support_threshold: float
    ) -> TurnKL:
        kl_tok = (lp_student - lp_teacher).detach()
        low = (lp_teacher.detach().exp() < support_threshold).float()
        pairs, inverse = where.turn_ids()
        zeros = kl_tok.new_zeros
        turn_kl = zeros(pairs.shape[0]).index_add(0, inverse, kl_tok)
        turn_of, episode_of = pairs[:, 1], pairs[:, 0]
        length = int(turn_of.max()) + 1 if turn_of.numel() else 0
        by_turn = ByTurn(
            kl_sum=zeros(length).index_add(0, turn_of, turn_kl),
            kl_count=zeros(length).index_add(0, turn_of, torch.ones_like(turn_kl)),
            low_support_sum=zeros(length).index_add(0, where.turn, low),
            tokens=zeros(length).index_add(0, where.turn, torch.ones_like(low)),
        )
        _, of_episode = torch.unique(episode_of, return_inverse=True)
        traj_kl = zeros(int(of_episode.max()) + 1 if of_episode.numel() else 0).index_add(
            0, of_episode, turn_kl
        )
        return cls(turn_kl, traj_kl, by_turn, low.mean() if low.numel() else low.sum())

    @staticmethod
    def from_outputs(outputs: Any) -> TurnKL | None:
        """The TurnKL in a ``training_step`` output, or None (other modules, no outputs)."""
        found = outputs.get(OUTPUT_KEY) if isinstance(outputs, Mapping) else None
        return found if isinstance(found, TurnKL) else None


# Names of the by-turn sums in checkpoints written before these were typed (kept, so resumes work).
_STATE_NAMES = {
    "kl_sum": "kl_by_turn_sum",
    "kl_count": "kl_by_turn_count",
    "low_support_sum": "low_support_by_turn_sum",
    "tokens": "tokens_by_turn",
}


class StepTurnStats:
    """Sums of per-turn statistics over the batches of one training step (a Lightning epoch)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.by_turn = ByTurn.empty()
        self.traj_sum = 0.0
        self.traj_count = 0.0

    @property
    def empty(self) -> bool:
        return self.traj_count == 0 and len(self.by_turn) == 0

    def add(self, stats: TurnKL | None) -> None:
        if stats is None:
            return
        self.by_turn = self.by_turn + stats.by_turn
        traj = stats.traj_kl.detach().double().cpu()
        self.traj_sum += float(traj.sum())
        self.traj_count += traj.numel()

    def all_reduce(self, strategy: Any, world_size: int) -> None:
        """Sum over ranks with a Lightning strategy, so every rank sees (and decides on) the same numbers."""
        if world_size <= 1:
            return
        device = strategy.root_device
        length = int(strategy.all_gather(torch.tensor(len(self.by_turn), device=device)).max())
        packed = torch.cat(
            [
                *self.by_turn.padded(length).tensors(),
                torch.tensor([self.traj_sum, self.traj_count], dtype=torch.float64),
            ]
        ).to(device)
        packed = strategy.reduce(packed, reduce_op="sum").cpu()
        self.by_turn = ByTurn(*(packed[i * length : (i + 1) * length] for i in range(len(_STATE_NAMES))))
        self.traj_sum, self.traj_count = float(packed[-2]), float(packed[-1])

    def kl_by_turn(self) -> list[float]:
        return self.by_turn.kl_mean()

    def low_support_by_turn(self) -> list[float]:
        return self.by_turn.low_support_rate()

    def traj_kl_mean(self) -> float:
        return self.traj_sum / self.traj_count if self.traj_count else math.nan

    def state_dict(self) -> dict[str, Any]:
        sums = {_STATE_NAMES[f.name]: getattr(self.by_turn, f.name).tolist() for f in fields(ByTurn)}
        return {"sums": sums, "traj_sum": self.traj_sum, "traj_count": self.traj_count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        sums = state["sums"]
        self.by_turn = ByTurn(
            *(torch.tensor(sums.get(_STATE_NAMES[f.name], []), dtype=torch.float64) for f in fields(ByTurn))
        )
        self.traj_sum, self.traj_count = float(state["traj_sum"]), float(state["traj_count"])


def _cpu(v: torch.Tensor) -> torch.Tensor:
    return v.detach().double().cpu().reshape(-1)


def _pad(v: torch.Tensor, length: int) -> torch.Tensor:
    return torch.cat([v, v.new_zeros(length - v.numel())]) if v.numel() < length else v


def _ratio(num: torch.Tensor, den: torch.Tensor) -> list[float]:
    length = max(num.numel(), den.numel())
    num, den = _pad(_cpu(num), length), _pad(_cpu(den), length)
    return [float(n / d) if d > 0 else math.nan for n, d in zip(num.tolist(), den.tolist())]
