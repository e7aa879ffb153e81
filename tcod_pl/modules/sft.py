"""Behaviour cloning on expert episodes: cross-entropy on the supervised response tokens."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable

from tcod_pl.models.loading import LoraOptions
from tcod_pl.modules.base import CausalLMModule


class SFTModule(CausalLMModule):
    """Bootstraps a teacher offline, or warm-starts a student, with the same packing as distillation."""

    DEFAULT_LR = 1e-3

    def __init__(
        self,
        model: str,
        lora: LoraOptions | None = None,
        optimizer: OptimizerCallable | None = None,
        lr_scheduler: LRSchedulerCallable | None = None,
        label_smoothing: float = 0.0,
        dtype: str = "float32",
        trust_remote_code: bool = False,
        gradient_checkpointing: bool = False,
        attn_implementation: str | None = None,
    ):
        super().__init__(
            model,
            lora=lora,
            optimizer=optimizer,
            lr_scheduler=lr_scheduler,
            dtype=dtype,
            trust_remote_code=trust_remote_code,
            gradient_checkpointing=gradient_checkpointing,
            role="model",
            attn_implementation=attn_implementation,
        )
        self.save_hyperparameters(ignore=["lora", "optimizer", "lr_scheduler"])
        self.label_smoothing = label_smoothing

    def _loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, int]:
        select, targets = self.supervised_positions(batch)
        logits = self.logits_at(self.student, batch, select)
        if targets.numel() == 0:
            return logits.sum() * 0.0, torch.tensor(0.0), 0
        loss = F.cross_entropy(logits, targets, label_smoothing=self.label_smoothing)
        accuracy = (logits.argmax(-1) == targets).float().mean()
        return loss, accuracy, int(targets.numel())

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss, accuracy, n = self._loss(batch)
        self.log("train/loss", loss, prog_bar=True, batch_size=max(1, n))
        self.log("train/token_acc", accuracy, prog_bar=True, batch_size=max(1, n))
        return loss

    def _eval_step(self, stage: str, batch: dict[str, torch.Tensor]) -> None:
        if "outcome_success" in batch:  # rollouts of the model itself: outcomes, no imitation loss
            self.update_outcomes(stage, batch)
            return
        loss, accuracy, n = self._loss(batch)
        if n:
            self.log(f"{stage}/loss", loss, prog_bar=True, batch_size=n)
            self.log(f"{stage}/token_acc", accuracy, batch_size=n)

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._eval_step("val", batch)

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._eval_step("test", batch)
