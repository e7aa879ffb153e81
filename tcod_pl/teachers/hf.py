"""The teacher as a frozen Hugging Face model in the trainer's process (the default)."""

from __future__ import annotations

import torch
from torch import nn
from transformers import PreTrainedTokenizerBase

from tcod_pl.errors import ConfigError
from tcod_pl.models.loading import check_same_vocabulary, load_causal_lm, load_tokenizer
from tcod_pl.models.scoring import logits_at
from tcod_pl.teachers.base import Teacher
from tcod_pl.teachers.scores import TeacherScores


class HFTeacher(nn.Module, Teacher):
    """A ``from_pretrained`` model on every rank, frozen (eval, no grad, not in the optimizer).

    Gives the full distribution, so every estimator works with it; its logits are divided by
    the teacher temperature. It is a submodule of the LightningModule, so Lightning moves it to
    the device (and a sharding strategy shards it); the module leaves it out of checkpoints.
    """

    kind = "HFTeacher"

    def __init__(
        self,
        model: str,
        dtype: str = "float32",
        trust_remote_code: bool = False,
        attn_implementation: str | None = None,
    ):
        super().__init__()
        self.path = model
        self.trust_remote_code = trust_remote_code
        self.model = load_causal_lm(model, "teacher", dtype, trust_remote_code, attn_implementation)
        self.requires_grad_(False).eval()
        self.vocab_size: int | None = None
        self.temperature = 1.0

    def train(self, mode: bool = True) -> HFTeacher:
        # The trainer switches every submodule to train mode each epoch; the teacher stays frozen.
        return super().train(False)

    def forward(self, **inputs: torch.Tensor) -> object:
        """The model's own forward (its full outputs), for scripts and callbacks that want them."""
        return self.model(**inputs)

    def describe(self) -> str:
        return f"HFTeacher ({self.path})"

    def provides(self) -> tuple[str, int]:
        return "full", 0

    def bind(
        self, tokenizer: PreTrainedTokenizerBase, student: str, vocab_size: int, temperature: float
    ) -> None:
        check_same_vocabulary(
            tokenizer, load_tokenizer(self.path, "teacher", self.trust_remote_code), student, self.path
        )
        rows = self.model.get_output_embeddings().weight.shape[0]
        if rows < vocab_size:
            raise ConfigError(
                f"teacher '{self.path}' has {rows} output rows but the tokenizer has {vocab_size} tokens: "
                "resize its embeddings (model.resize_token_embeddings) to the tokenizer"
            )
        self.vocab_size, self.temperature = vocab_size, temperature

    @torch.no_grad()
    def score(
        self, batch: dict[str, torch.Tensor], select: torch.Tensor, targets: torch.Tensor
    ) -> TeacherScores:
        logits = logits_at(self.model, batch, select)
        if self.vocab_size is not None:
            logits = logits[:, : self.vocab_size]  # padding rows of the embedding are no tokens
        return TeacherScores.from_logits(logits / self.temperature, targets)
