"""What a teacher returns for the supervised tokens of a batch: the losses' only view of it."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from tcod_pl.errors import ConfigError


@dataclass
class TeacherScores:
    """The teacher's log-probs at the N supervised positions (at the teacher temperature).

    ``logprobs`` [N]: log pT of each supervised (sampled) token, always present.
    ``full`` [N, V]: log pT over the shared vocabulary, where the teacher gives it (in-process).
    ``topk_ids`` / ``topk_logprobs`` [N, k]: the teacher's k most likely tokens, most likely first,
    where asked for (a served teacher's ``top_k``).
    """

    logprobs: torch.Tensor
    full: torch.Tensor | None = None
    topk_ids: torch.Tensor | None = None
    topk_logprobs: torch.Tensor | None = None

    @classmethod
    def from_logits(cls, logits: torch.Tensor, targets: torch.Tensor, top_k: int = 0) -> TeacherScores:
        """From the teacher's logits [N, V]: one log-softmax, the targets' entries, no top-k copy
        (estimators that want the top-k take it from ``full``)."""
        full = F.log_softmax(logits.float(), -1)
        return cls(logprobs=full.gather(-1, targets[:, None]).squeeze(-1), full=full)

    def __getitem__(self, rows: torch.Tensor) -> TeacherScores:
        """The scores of some tokens (a boolean mask or indices over N)."""

        def pick(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t[rows]

        return TeacherScores(
            self.logprobs[rows], pick(self.full), pick(self.topk_ids), pick(self.topk_logprobs)
        )

    def to(self, device: torch.device | str) -> TeacherScores:
        def move(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.to(device)

        return TeacherScores(
            self.logprobs.to(device), move(self.full), move(self.topk_ids), move(self.topk_logprobs)
        )

    def require_full(self, estimator: str) -> torch.Tensor:
        if self.full is None:
            raise ConfigError(
                f"{estimator} needs the teacher's full distribution, which this teacher does not return"
            )
        return self.full

    def top(self, k: int, estimator: str) -> tuple[torch.Tensor, torch.Tensor]:
        """The teacher's ``k`` most likely tokens: (log-probs, ids), each [N, k]."""
        if self.topk_ids is not None and self.topk_logprobs is not None and self.topk_ids.shape[-1] >= k:
            return self.topk_logprobs[:, :k], self.topk_ids[:, :k]
        if self.full is not None:
            values, ids = self.full.topk(min(k, self.full.shape[-1]), dim=-1)
            return values, ids
        have = 0 if self.topk_ids is None else self.topk_ids.shape[-1]
        raise ConfigError(f"{estimator} needs the teacher's top {k} tokens; this teacher returns {have}")
