"""What the distillation and SFT modules share: the trainable model, token log-probs, eval metrics."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn
from torchmetrics import MeanMetric

from tcod_pl.models.loading import LoraOptions, apply_lora, load_causal_lm, load_tokenizer
from tcod_pl.turn_stats import TokenTurns

# score: the best score reached in an episode (the reference's); final_score: the score at its end.
OUTCOMES = ("success", "score", "final_score", "rounds", "invalid_rate")


class CausalLMModule(pl.LightningModule):
    """Holds one trainable causal LM (``self.student``) and its tokenizer; knows token batches only."""

    def __init__(
        self,
        model: str,
        lora: LoraOptions | None = None,
        learning_rate: float = 1e-6,
        weight_decay: float = 0.01,
        warmup_steps: int = 0,
        lr_schedule: str = "constant",
        dtype: str = "float32",
        trust_remote_code: bool = False,
        gradient_checkpointing: bool = False,
        role: str = "student",
    ):
        super().__init__()
        if lr_schedule not in ("constant", "cosine"):
            raise ValueError(f"lr_schedule must be 'constant' or 'cosine', got {lr_schedule!r}")
        self.model_path = model
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.warmup_steps = warmup_steps
        self.lr_schedule = lr_schedule
        self.tokenizer = load_tokenizer(model, role, trust_remote_code)
        student = load_causal_lm(model, role, dtype, trust_remote_code).train()
        if gradient_checkpointing:
            student.gradient_checkpointing_enable()
        self.uses_lora = lora is not None and lora.r > 0
        self.student: nn.Module = apply_lora(student, lora) if self.uses_lora else student
        self.eval_metrics = nn.ModuleDict(
            {stage: nn.ModuleDict({k: MeanMetric() for k in OUTCOMES}) for stage in ("val", "test")}
        )

    # ----- tokens ---------------------------------------------------------------------------------
    @staticmethod
    def supervised_positions(batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Mask over positions 0..L-2 whose *next* token is supervised, and those next tokens."""
        select = batch["loss_mask"][:, 1:]
        return select, batch["input_ids"][:, 1:][select]

    @staticmethod
    def logits_at(model: nn.Module, batch: dict[str, torch.Tensor], select: torch.Tensor) -> torch.Tensor:
        """Logits only at the selected positions: a full [B, L, V] tensor is never built."""
        hidden = model.get_decoder()(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
        ).last_hidden_state
        return model.get_output_embeddings()(hidden[:, :-1][select]).float()

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
        for key, metric in self.eval_metrics[stage].items():
            metric.update(batch[f"outcome_{key}"][first])
        for key, metric in self.eval_metrics[stage].items():
            self.log(f"{stage}/{key}", metric, on_step=False, on_epoch=True, batch_size=int(first.sum()))

    # ----- optimisation --------------------------------------------------------------------------
    def configure_optimizers(self) -> Any:
        params = [p for p in self.student.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=self.learning_rate, weight_decay=self.weight_decay)
        if self.lr_schedule == "constant" and self.warmup_steps == 0:
            return optimizer
        total = max(1, int(self.trainer.estimated_stepping_batches))
        warm = self.warmup_steps

        def factor(step: int) -> float:
            if step < warm:
                return (step + 1) / warm
            if self.lr_schedule == "constant":
                return 1.0
            progress = (step - warm) / max(1, total - warm)
            return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

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
