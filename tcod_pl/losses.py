"""Distillation loss estimators over the supervised student tokens.

Every estimator is a pure function of the student's log-probs at the N supervised positions (rows
are tokens, columns the shared vocabulary), what the teacher returned for them
(:class:`~tcod_pl.teachers.TeacherScores`: the sampled token's log-prob, and the full distribution
or its top-k where the teacher gives them), the sampled token ids and, optionally, the behaviour
log-probs recorded at rollout time; it returns a scalar. ``groups`` gives each token's turn (the
reference implementation's "sequence") for ``seq-mean-token-mean`` aggregation. ``needs`` says
what of the teacher an estimator reads, so a teacher that cannot give it is refused before training.
Calling an estimator with two logits tensors (student, teacher) is the same computation.
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
import torch.nn.functional as F

from tcod_pl.teachers.scores import TeacherScores

AGGREGATIONS = ("token-mean", "seq-mean-token-mean")
RATIO_TO = ("recomputed", "behaviour")
LOG_RATIO_LIMIT = 20.0  # the log-ratio clamp of the reference (verl), so exp() cannot overflow


def aggregate(per_token: torch.Tensor, groups: torch.Tensor, mode: str) -> torch.Tensor:
    if per_token.numel() == 0:
        return per_token.sum()
    if mode == "token-mean":
        return per_token.mean()
    if mode == "seq-mean-token-mean":
        _, inverse = torch.unique(groups, return_inverse=True)
        n = int(inverse.max()) + 1
        sums = torch.zeros(n, dtype=per_token.dtype, device=per_token.device).index_add(0, inverse, per_token)
        counts = torch.zeros(n, dtype=per_token.dtype, device=per_token.device).index_add(
            0, inverse, torch.ones_like(per_token)
        )
        return (sums / counts).mean()
    raise ValueError(f"aggregation must be one of {AGGREGATIONS}, got {mode!r}")


class DistillationLoss:
    """Base class: per-token values, then aggregation.

    ``needs_samples``: the estimate is only valid on tokens the student itself sampled (not on
    demonstrations mixed into training by ``data.on_policy_fraction``).
    """

    needs_samples: ClassVar[bool] = False
    # What of the teacher the estimate reads: "sampled" (log pT of the sampled token), "topk"
    # (the teacher's top_k tokens and log-probs) or "full" (the whole distribution).
    needs: ClassVar[str] = "full"
    top_k: int = 0  # "topk" estimators: how many of the teacher's top tokens

    def __init__(self, aggregation: str = "token-mean"):
        if aggregation not in AGGREGATIONS:
            raise ValueError(f"aggregation must be one of {AGGREGATIONS}, got {aggregation!r}")
        self.aggregation = aggregation

    def per_token(
        self,
        student_logp: torch.Tensor,
        teacher: TeacherScores,
        targets: torch.Tensor,
        behaviour_logprobs: torch.Tensor | None,
    ) -> torch.Tensor:
        raise NotImplementedError

    def from_logprobs(
        self,
        student_logp: torch.Tensor,
        teacher: TeacherScores,
        targets: torch.Tensor,
        groups: torch.Tensor | None = None,
        behaviour_logprobs: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The loss from normalised student log-probs [N, V] and the teacher's scores."""
        values = self.per_token(student_logp, teacher, targets, behaviour_logprobs)
        if groups is None:
            groups = torch.zeros_like(targets)
        return aggregate(values, groups, self.aggregation)

    def __call__(
        self,
        student_logits: torch.Tensor,
        teacher_logits: torch.Tensor,
        targets: torch.Tensor,
        groups: torch.Tensor | None = None,
        behaviour_logprobs: torch.Tensor | None = None,
    ) -> torch.Tensor:
        teacher = TeacherScores.from_logits(teacher_logits.float(), targets, top_k=self.top_k)
        return self.from_logprobs(
            F.log_softmax(student_logits.float(), -1), teacher, targets, groups, behaviour_logprobs
        )


def _gather(logp: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)


class SampledReverseKL(DistillationLoss):
    """The paper's estimator: REINFORCE on the sampled token with advantage log pT - log pS.

    loss = -A * log pS with A detached; its expected gradient is the gradient of KL(pS || pT).

    ``clip_ratio`` (e.g. 0.2) switches to the reference's PPO-style surrogate: the importance
    ratio r = exp(clamp(log pS - log pS_old, -20, 20)), the clipped objective
    max(-A r, -A clip(r, 1 - eps, 1 + eps)), and for negative advantages the dual clip
    min(that, -A * ``clip_ratio_c``). ``ratio_to`` says what pS_old is:

    * ``"recomputed"`` (default, the reference's): the log-probs the trainer computes before the
      update, i.e. this forward's own log pS without grad. With one optimizer update per batch
      (Lightning's automatic optimisation) r = 1 exactly, so the surrogate has the plain loss's
      gradient, as in the reference with one PPO epoch.
    * ``"behaviour"``: the log-probs recorded at generation time (where known), which corrects
      for a rollout engine whose numbers differ from the trainer's.
    """

    needs_samples = True
    needs = "sampled"

    def __init__(
        self,
        aggregation: str = "token-mean",
        clip_ratio: float | None = None,
        clip_ratio_c: float = 3.0,
        ratio_to: str = "recomputed",
    ):
        super().__init__(aggregation)
        if clip_ratio is not None and clip_ratio <= 0:
            raise ValueError(f"clip_ratio must be > 0, got {clip_ratio}")
        if clip_ratio_c <= 1:
            raise ValueError(f"clip_ratio_c (dual clip) must be > 1, got {clip_ratio_c}")
        if ratio_to not in RATIO_TO:
            raise ValueError(f"ratio_to must be one of {RATIO_TO}, got {ratio_to!r}")
        self.clip_ratio = clip_ratio
        self.clip_ratio_c = clip_ratio_c
        self.ratio_to = ratio_to

    def per_token(self, student_logp, teacher, targets, behaviour_logprobs):
        lp_s = _gather(student_logp, targets)
        advantage = (teacher.logprobs - lp_s).detach()
        if self.clip_ratio is None:
            return -advantage * lp_s
        old = lp_s.detach()  # recomputed: the same forward, no grad
        if self.ratio_to == "behaviour" and behaviour_logprobs is not None:
            old = torch.where(torch.isnan(behaviour_logprobs), old, behaviour_logprobs)
        ratio = torch.exp(torch.clamp(lp_s - old, -LOG_RATIO_LIMIT, LOG_RATIO_LIMIT))
        clipped = torch.clamp(ratio, 1 - self.clip_ratio, 1 + self.clip_ratio)
        surrogate = torch.maximum(-advantage * ratio, -advantage * clipped)
        # Dual clip: a negative advantage times a huge ratio would dominate the batch; cap it.
        dual = torch.minimum(surrogate, -advantage * self.clip_ratio_c)
        return torch.where(advantage < 0, dual, surrogate)


class ReverseKL(DistillationLoss):
    """Full-vocabulary KL(pS || pT) at each position."""

    def per_token(self, student_logp, teacher, targets, behaviour_logprobs):
        ls, lt = student_logp, teacher.require_full(type(self).__name__)
        return (ls.exp() * (ls - lt)).sum(-1)


class ForwardKL(DistillationLoss):
    """Full-vocabulary KL(pT || pS) at each position."""

    def per_token(self, student_logp, teacher, targets, behaviour_logprobs):
        ls, lt = student_logp, teacher.require_full(type(self).__name__)
        return (lt.exp() * (lt - ls)).sum(-1)


class GeneralizedJSD(DistillationLoss):
    """GKD's generalised JSD: beta*KL(pT||M) + (1-beta)*KL(pS||M), M = beta*pT + (1-beta)*pS.

    Its end points are the two KLs (as in GKD): beta=0 is forward KL(pT||pS), beta=1 is
    reverse KL(pS||pT).
    """

    def __init__(self, beta: float = 0.5, aggregation: str = "token-mean"):
        super().__init__(aggregation)
        if not 0.0 <= beta <= 1.0:
            raise ValueError(f"beta must be in [0, 1], got {beta}")
        self.beta = beta

    def per_token(self, student_logp, teacher, targets, behaviour_logprobs):
        ls, lt = student_logp, teacher.require_full(type(self).__name__)
        if self.beta == 0.0:
            return (lt.exp() * (lt - ls)).sum(-1)
        if self.beta == 1.0:
            return (ls.exp() * (ls - lt)).sum(-1)
        lm = torch.logsumexp(torch.stack([lt + math.log(self.beta), ls + math.log(1 - self.beta)]), dim=0)
        kl_t = (lt.exp() * (lt - lm)).sum(-1)
        kl_s = (ls.exp() * (ls - lm)).sum(-1)
        return self.beta * kl_t + (1 - self.beta) * kl_s


class TopKForwardKL(DistillationLoss):
    """Forward KL from the teacher's top-k tokens, renormalised over those k, to the student.

    loss = sum_{v in topk} p~T(v) (log p~T(v) - log pS(v)), with pS over the full vocabulary.
    """

    needs = "topk"

    def __init__(self, k: int = 20, aggregation: str = "token-mean"):
        super().__init__(aggregation)
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        self.k = k
        self.top_k = k

    def per_token(self, student_logp, teacher, targets, behaviour_logprobs):
        top_logp, top_idx = teacher.top(self.k, type(self).__name__)
        lt = F.log_softmax(top_logp, -1)  # renormalised over the k tokens
        ls = student_logp.gather(-1, top_idx)
        return (lt.exp() * (lt - ls)).sum(-1)
