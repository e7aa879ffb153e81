"""Learning-rate schedules for the modules' ``lr_scheduler`` (LightningCLI dependency injection).

The modules take ``optimizer`` / ``lr_scheduler`` as callables, configured in YAML the standard way
(``class_path: torch.optim.AdamW``, ``init_args: {lr: ..., weight_decay: ...}``); any torch optimizer
and scheduler works. Schedulers step once per optimizer step. A scheduler whose ``total_steps`` is left
null (this one's, or ``torch.optim.lr_scheduler.OneCycleLR``'s) gets the run's number of optimizer steps
(``trainer.estimated_stepping_batches``), exact for rollouts with ``batch_unit: episodes``; under
``batch_unit: turns`` a step's update count is only known after its rollouts, so such a schedule
steps once per training step and counts ``max_epochs`` (``tcod_pl.modules.base.schedule_horizon``).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch.optim.lr_scheduler import LambdaLR

DECAYS = ("constant", "cosine")


class WarmupCosine(LambdaLR):
    """Linear warm-up over ``warmup_steps`` optimizer steps, then ``decay``: ``constant`` or ``cosine``
    (from the peak to 0 at ``total_steps``).

    Factor at step s: (s + 1) / warmup_steps while s < warmup_steps; after it 1 (constant) or
    0.5 * (1 + cos(pi * min(1, (s - warmup_steps) / max(1, total_steps - warmup_steps)))).
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        warmup_steps: int = 0,
        decay: str = "cosine",
        total_steps: int | None = None,
    ):
        if warmup_steps < 0:
            raise ValueError(f"WarmupCosine: warmup_steps must be >= 0, got {warmup_steps}")
        if decay not in DECAYS:
            raise ValueError(f"WarmupCosine: decay must be one of {DECAYS}, got {decay!r}")
        if decay == "cosine" and total_steps is None:
            raise ValueError(
                "WarmupCosine: cosine decay needs total_steps (leave it null in a module's lr_scheduler "
                "config: the module fills in the run's optimizer steps)"
            )
        self.warmup_steps, self.decay = warmup_steps, decay
        self.total_steps = max(1, int(total_steps)) if total_steps is not None else None
        super().__init__(optimizer, self.factor)

    def factor(self, step: int) -> float:
        if step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        if self.decay == "constant":
            return 1.0
        progress = (step - self.warmup_steps) / max(1, self.total_steps - self.warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def wants_total_steps(scheduler: Any) -> bool:
    """Whether a configured scheduler callable left ``total_steps`` to the run (null in its config)."""
    keywords = getattr(scheduler, "keywords", None) or {}
    return "total_steps" in keywords and keywords["total_steps"] is None
