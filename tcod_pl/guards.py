"""Stop a diverging run at the first non-finite number, before anything of that update is saved."""

from __future__ import annotations

import math
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback

from tcod_pl.errors import TrainingDiverged

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
        grads = [p.grad for p in pl_module.parameters() if p.grad is not None]
        if grads and not _all_finite(grads):
            raise diverged(trainer, "a gradient is not finite", _last_loss(trainer))

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        params = [p.detach() for p in pl_module.parameters() if p.requires_grad]
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
