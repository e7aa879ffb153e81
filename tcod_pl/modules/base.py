"""What the distillation and SFT modules share: the trainable model, token log-probs, eval metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import nn
from torchmetrics import MeanMetric

from tcod_pl.models.loading import LoraOptions, apply_lora, load_causal_lm, load_tokenizer
from tcod_pl.models.scoring import logits_at
from tcod_pl.models.sharding import fsdp_mesh, is_sharded, shard
from tcod_pl.modules.optim import wants_total_steps
from tcod_pl.turn_stats import TokenTurns

# Per-episode fields of an eval batch (``outcome_*``), averaged over the panel's episodes.
# score: the best score reached in an episode (the reference's); final_score: the score at its end.
# The last four are response statistics (tcod_pl.data.episode_stats); NaN (nothing to measure) is ignored.
OUTCOMES = (
    "success",
    "score",
    "final_score",
    "rounds",
    "invalid_rate",
    "empty_action_rate",
    "whitespace_token_rate",
    "repeat_token_rate",
    "copy_rate",
)


def schedule_horizon(trainer: pl.Trainer) -> tuple[int, str]:
    """``total_steps`` and stepping interval of a schedule that left ``total_steps`` to the run.

    The run's optimizer steps when the data says its batch count is exact (``exact_length``, true
    unless a datamodule says otherwise; the rollouts' ``batch_unit: episodes``) or ``max_steps`` ends
    the run; otherwise (``batch_unit: turns``: each step's update count depends on the episodes'
    lengths) the schedule steps once per training step (epoch), ``max_epochs`` in all: exact too.
    """
    exact = getattr(trainer.datamodule, "exact_length", True)
    if exact or trainer.max_steps > 0 or trainer.max_epochs is None or trainer.max_epochs < 1:
        return max(1, int(trainer.estimated_stepping_batches)), "step"
    return trainer.max_epochs, "epoch"


class CausalLMModule(pl.LightningModule):
    """Holds one trainable causal LM (``self.student``) and its tokenizer; knows token batches only.

    ``optimizer`` / ``lr_scheduler`` are LightningCLI's injected callables (YAML ``class_path`` +
    ``init_args``, any torch optimizer and scheduler); the optimizer gets the trainable parameters
    only, the scheduler steps once per optimizer step (see ``tcod_pl.modules.optim``). No optimizer:
    AdamW at ``DEFAULT_LR`` with weight decay 0.01.
    """

    DEFAULT_LR = 1e-6

    def __init__(
        self,
        model: str,
        lora: LoraOptions | None = None,
        optimizer: OptimizerCallable | None = None,
        lr_scheduler: LRSchedulerCallable | None = None,
        dtype: str = "float32",
        trust_remote_code: bool = False,
        gradient_checkpointing: bool = False,
        role: str = "student",
        attn_implementation: str | None = None,
    ):
        super().__init__()
        self.model_path = model
        self.optimizer = optimizer
        self.lr_scheduler = lr_scheduler
        self.tokenizer = load_tokenizer(model, role, trust_remote_code)
        student = load_causal_lm(model, role, dtype, trust_remote_code, attn_implementation).train()
        if gradient_checkpointing:
            student.gradient_checkpointing_enable()
        self.uses_lora = lora is not None and lora.r > 0
        self.student: nn.Module = apply_lora(student, lora) if self.uses_lora else student
        self.eval_metrics = nn.ModuleDict(
            {
                stage: nn.ModuleDict({k: MeanMetric(nan_strategy="ignore") for k in OUTCOMES})
                for stage in ("val", "test")
            }
        )

    # ----- sharding ---------------------------------------------------------------------------------
    def configure_model(self) -> None:
        """Under :class:`tcod_pl.strategies.FSDP2Strategy`: shard the student by decoder layer."""
        mesh = getattr(self, "_device_mesh", None)  # set by Lightning's ModelParallelStrategy only
        if mesh is not None and not is_sharded(self.student):
            shard(self.student, fsdp_mesh(mesh))

    # ----- tokens ---------------------------------------------------------------------------------
    @staticmethod
    def supervised_positions(batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Mask over positions 0..L-2 whose *next* token is supervised, and those next tokens."""
        select = batch["loss_mask"][:, 1:]
        return select, batch["input_ids"][:, 1:][select]

    @staticmethod
    def logits_at(model: nn.Module, batch: dict[str, torch.Tensor], select: torch.Tensor) -> torch.Tensor:
        """Logits only at the selected positions: a full [B, L, V] tensor is never built."""
        return logits_at(model, batch, select)

    @staticmethod
    def token_turns(batch: dict[str, torch.Tensor], select: torch.Tensor) -> TokenTurns:
        """Per supervised token: its episode and its turn."""
        b, length = select.shape
        episode = batch["episode_index"][:, None].expand(b, length)[select]
        return TokenTurns(episode=episode, turn=batch["turn_index"][:, 1:][select])

    # ----- evaluation outcomes ----------------------------------------------------------------------
    def update_outcomes(self, stage: str, batch: dict[str, torch.Tensor]) -> None:
        if "outcome_success" not in batch:
            return
        first = batch["episode_first"]
        if not first.any():
            return
        present = {k: m for k, m in self.eval_metrics[stage].items() if f"outcome_{k}" in batch}
        for key, metric in present.items():
            metric.update(batch[f"outcome_{key}"][first])
        for key, metric in present.items():
            self.log(f"{stage}/{key}", metric, on_step=False, on_epoch=True, batch_size=int(first.sum()))

    # ----- optimisation --------------------------------------------------------------------------
    def configure_optimizers(self) -> Any:
        params = [p for p in self.student.parameters() if p.requires_grad]  # never the teacher
        if self.optimizer is None:
            optimizer = torch.optim.AdamW(params, lr=self.DEFAULT_LR, weight_decay=0.01)
        else:
            optimizer = self.optimizer(params)
        if self.lr_scheduler is None:
            return optimizer
        extra, interval = {}, "step"
        if wants_total_steps(self.lr_scheduler):
            extra["total_steps"], interval = schedule_horizon(self.trainer)
        scheduler = self.lr_scheduler(optimizer, **extra)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": interval}}

    # ----- export -----------------------------------------------------------------------------------
    def save_pretrained(self, path: str | Path, merge_lora: bool = True) -> Path:
        """Export the trained model in Hugging Face format (LoRA merged, or as an adapter)."""
        path = Path(path)
        model = self.student
        if self.uses_lora and merge_lora:
            import copy

            model = copy.deepcopy(model).merge_and_unload()
        model.save_pretrained(path)
        self.tokenizer.save_pretrained(path)
        return path
