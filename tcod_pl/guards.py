"""Guards of a training run: stop at the first non-finite number, before anything of that update is
saved; warn when the first update is lost to the weights' precision."""

from __future__ import annotations

import logging
import math
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback

from tcod_pl.errors import TrainingDiverged
from tcod_pl.models.sharding import local

log = logging.getLogger(__name__)

# What torch.multinomial says when the student's next-token distribution is not finite.
SAMPLING_MESSAGES = ("probability tensor contains either `inf`, `nan` or element < 0",)


def _lr(trainer: pl.Trainer) -> float | None:
    optimizers = getattr(trainer, "optimizers", None) or []
    return float(optimizers[0].param_groups[0]["lr"]) if optimizers else None


def _last_loss(trainer: pl.Trainer) -> float | None:
    loss = trainer.callback_metrics.get("train/loss")
    return float(loss) if loss is not None else None


def diverged(
    trainer: pl.Trainer, what: str, loss: float | None = None, updated: bool = False
) -> TrainingDiverged:
    """The one-line report: which step, what went non-finite, the loss and the learning rate.

    ``updated``: the step's optimizer update has happened (Lightning has counted it already).
    """
    step = trainer.global_step if updated else trainer.global_step + 1
    loss_text = "n/a" if loss is None else f"{loss:.6g}"
    lr = _lr(trainer)
    lr_text = "n/a" if lr is None else f"{lr:g}"
    saved = getattr(trainer.checkpoint_callback, "last_model_path", "") or "none"
    return TrainingDiverged(
        f"training diverged at step {step}: {what} (loss {loss_text}, learning rate {lr_text}). Nothing of "
        f"this step was saved (last checkpoint: {saved}). Lower the learning rate (model.init_args.optimizer.init_args.lr) "
        "or set trainer.gradient_clip_val, then resume with --ckpt_path last."
    )


def explain(trainer: pl.Trainer | None, error: BaseException) -> TrainingDiverged | None:
    """A sampling crash on non-finite probabilities, said as divergence (None for other errors)."""
    if trainer is None or not isinstance(error, RuntimeError):
        return None
    if not any(m in str(error) for m in SAMPLING_MESSAGES):
        return None
    return diverged(trainer, "the student's next-token probabilities are not finite", _last_loss(trainer))


class DivergenceGuard(Callback):
    """Raise :class:`TrainingDiverged` at a non-finite loss (before backward), gradient (before the
    optimizer step) or parameter (after it, before the step's checkpoint is written)."""

    def on_before_backward(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, loss: torch.Tensor
    ) -> None:
        if not bool(torch.isfinite(loss.detach()).all()):
            raise diverged(trainer, "the loss is not finite", float(loss.detach().float().mean()))

    def on_before_optimizer_step(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, optimizer: torch.optim.Optimizer
    ) -> None:
        grads = [local(p.grad) for p in pl_module.parameters() if p.grad is not None]
        if grads and not _all_finite(grads):
            raise diverged(trainer, "a gradient is not finite", _last_loss(trainer))

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        params = [local(p.detach()) for p in pl_module.parameters() if p.requires_grad]
        if params and not _all_finite(params):
            loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
            value = float(loss) if isinstance(loss, torch.Tensor) else _last_loss(trainer)
            raise diverged(
                trainer, "the updated weights are not finite (or their norm overflows)", value, updated=True
            )


def _all_finite(tensors: list[torch.Tensor]) -> bool:
    # One fused reduction per tensor; a norm overflows only for values no healthy run reaches.
    norms = torch._foreach_norm(tensors)
    total = torch.stack([n.float() for n in norms]).sum()
    return math.isfinite(float(total))


class LostUpdateGuard(Callback):
    """Warn once when the first optimizer update leaves most weights unchanged: lost to rounding.

    An AdamW update moves every weight that has a gradient by about ``lr`` (its first step is
    ``lr * sign(grad)``); a bf16 weight of magnitude 0.02 moves in steps of ~1e-4, so at lr 1e-6
    (the paper's) a ``bf16-true`` run rounds nearly every update away and trains nothing. The guard
    samples up to ``per_tensor`` elements of each trainable tensor before the first update and
    compares them after it; if fewer than ``min_share`` of the sampled elements with a non-zero
    gradient changed, it logs one warning line naming the precision, the weights' dtype and the lr.
    """

    def __init__(self, min_share: float = 0.5, per_tensor: int = 1024):
        self.min_share, self.per_tensor = min_share, per_tensor
        self._before: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] | None = None
        self.share: float | None = None  # measured share (None until the first update)

    def on_before_optimizer_step(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, optimizer: torch.optim.Optimizer
    ) -> None:
        if self.share is not None or self._before is not None or trainer.global_step > 0:
            return
        self._before = []
        for p in pl_module.parameters():
            if not p.requires_grad or p.grad is None or local(p).numel() == 0:
                continue
            flat = local(p.detach()).reshape(-1)  # a sharded weight: this rank's shard
            idx = torch.linspace(0, flat.numel() - 1, min(flat.numel(), self.per_tensor)).long()
            idx = idx[local(p.grad.detach()).reshape(-1)[idx] != 0]  # an element without gradient may stay
            self._before.append((p, idx, flat[idx].clone()))

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        if self._before is None or trainer.global_step < 1:
            return
        before, self._before = self._before, None
        changed = total = 0
        for p, idx, values in before:
            now = local(p.detach()).reshape(-1)[idx]
            changed += int((now != values).sum())
            total += idx.numel()
        if total == 0:
            return
        self.share = changed / total
        if self.share < self.min_share:
            dtype = next((p.dtype for p, _, _ in before), None)
            log.warning(
                "precision: the first optimizer update changed %.1f%% of the sampled trainable weights that "
                "had a gradient (expected ~100%%): updates are lost to rounding (trainer.precision %s, "
                "weights %s, lr %s); use trainer.precision bf16-mixed with model dtype float32 "
                "(fp32 master weights) or a larger learning rate",
                100 * self.share,
                trainer.precision,
                str(dtype).removeprefix("torch."),
                f"{_lr(trainer):g}" if _lr(trainer) is not None else "n/a",
            )
