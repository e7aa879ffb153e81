"""Distillation loss estimators over the supervised student tokens.

Every estimator takes the student's and teacher's logits at the N supervised positions (rows are
tokens, columns the shared vocabulary), the sampled token ids and, optionally, the behaviour
log-probs recorded at rollout time; it returns a scalar. ``groups`` gives each token's turn
(the reference implementation's "sequence") for ``seq-mean-token-mean`` aggregation.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

AGGREGATIONS = ("token-mean", "seq-mean-token-mean")


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
    """Base class: per-token values, then aggregation."""

    def __init__(self, aggregation: str = "token-mean"):
        if aggregation not in AGGREGATIONS:
            raise ValueError(f"aggregation must be one of {AGGREGATIONS}, got {aggregation!r}")
        self.aggregation = aggregation

    def per_token(
        self,
        student_logits: torch.Tensor,
        teacher_logits: torch.Tensor,
        targets: torch.Tensor,
        behaviour_logprobs: torch.Tensor | None,
    ) -> torch.Tensor:
        raise NotImplementedError

    def __call__(
        self,
        student_logits: torch.Tensor,
        teacher_logits: torch.Tensor,
        targets: torch.Tensor,
        groups: torch.Tensor | None = None,
        behaviour_logprobs: torch.Tensor | None = None,
    ) -> torch.Tensor:
        values = self.per_token(student_logits.float(), teacher_logits.float(), targets, behaviour_logprobs)
        if groups is None:
            groups = torch.zeros_like(targets)
        return aggregate(values, groups, self.aggregation)


def _gather(logp: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)


class SampledReverseKL(DistillationLoss):
    """The paper's estimator: REINFORCE on the sampled token with advantage log pT - log pS.

    loss = -A * log pS with A detached; its expected gradient is the gradient of KL(pS || pT).
    ``clip_ratio`` (e.g. 0.2) adds a PPO-style clipped importance ratio against the behaviour
    log-probs, for several updates per rollout batch; with one update it changes nothing.
    """

    def __init__(self, aggregation: str = "token-mean", clip_ratio: float | None = None):
        super().__init__(aggregation)
        if clip_ratio is not None and clip_ratio <= 0:
            raise ValueError(f"clip_ratio must be > 0, got {clip_ratio}")
        self.clip_ratio = clip_ratio

    def per_token(self, student_logits, teacher_logits, targets, behaviour_logprobs):
        lp_s = _gather(F.log_softmax(student_logits, -1), targets)
        lp_t = _gather(F.log_softmax(teacher_logits, -1), targets)
        advantage = (lp_t - lp_s).detach()
        if self.clip_ratio is None or behaviour_logprobs is None:
            return -advantage * lp_s
        old = torch.where(torch.isnan(behaviour_logprobs), lp_s.detach(), behaviour_logprobs)
        ratio = torch.exp(lp_s - old)
        clipped = torch.clamp(ratio, 1 - self.clip_ratio, 1 + self.clip_ratio)
        return -torch.minimum(ratio * advantage, clipped * advantage)


class ReverseKL(DistillationLoss):
    """Full-vocabulary KL(pS || pT) at each position."""

    def per_token(self, student_logits, teacher_logits, targets, behaviour_logprobs):
        ls, lt = F.log_softmax(student_logits, -1), F.log_softmax(teacher_logits, -1)
        return (ls.exp() * (ls - lt)).sum(-1)


class ForwardKL(DistillationLoss):
    """Full-vocabulary KL(pT || pS) at each position."""

    def per_token(self, student_logits, teacher_logits, targets, behaviour_logprobs):
        ls, lt = F.log_softmax(student_logits, -1), F.log_softmax(teacher_logits, -1)
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

    def per_token(self, student_logits, teacher_logits, targets, behaviour_logprobs):
        ls, lt = F.log_softmax(student_logits, -1), F.log_softmax(teacher_logits, -1)
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

    def __init__(self, k: int = 20, aggregation: str = "token-mean"):
        super().__init__(aggregation)
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        self.k = k

    def per_token(self, student_logits, teacher_logits, targets, behaviour_logprobs):
        k = min(self.k, teacher_logits.shape[-1])
        top_logits, top_idx = teacher_logits.topk(k, dim=-1)
        lt = F.log_softmax(top_logits, -1)
        ls = F.log_softmax(student_logits, -1).gather(-1, top_idx)
        return (lt.exp() * (lt - ls)).sum(-1)
