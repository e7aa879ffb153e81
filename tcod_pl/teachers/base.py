"""The teacher's door: what the distillation module asks of any teacher."""

from __future__ import annotations

from typing import ClassVar

import torch
from transformers import PreTrainedTokenizerBase

from tcod_pl.teachers.scores import TeacherScores

# What a teacher can return, each level including the ones before it.
LEVELS = ("sampled", "topk", "full")


class Teacher:
    """Scores the supervised tokens of a packed batch. Frozen; never written into checkpoints.

    ``bind`` runs once before the first step (the module's tokenizer, the student's name for
    messages, the tokenizer's vocabulary size, the teacher temperature) and checks what can be
    checked then; ``score`` returns the teacher's log-probs of the supervised tokens
    (``select``: positions 0..L-2 whose next token is supervised; ``targets``: those tokens).
    """

    kind: ClassVar[str] = "teacher"

    def provides(self) -> tuple[str, int]:
        """(level, top_k): "full" (the whole distribution), "topk" (the top ``top_k``) or "sampled"."""
        raise NotImplementedError

    def bind(
        self, tokenizer: PreTrainedTokenizerBase, student: str, vocab_size: int, temperature: float
    ) -> None:
        raise NotImplementedError

    def score(
        self, batch: dict[str, torch.Tensor], select: torch.Tensor, targets: torch.Tensor
    ) -> TeacherScores:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the teacher holds (an engine, connections)."""

    def describe(self) -> str:
        return self.kind

    def weights(self) -> str | None:
        """The teacher's model path or hub name, where one is known (the demo evaluates it as a policy)."""
        return getattr(self, "path", None)

    def cannot_give(self, needs: str, top_k: int = 0) -> str | None:
        """Why this teacher cannot feed an estimator that ``needs`` this (None: it can)."""
        level, have_k = self.provides()
        if LEVELS.index(needs) < LEVELS.index(level):
            return None
        if needs == level and (needs != "topk" or top_k <= have_k):
            return None
        if needs == "topk":
            return f"the teacher's top {top_k} tokens, and {self.describe()} returns its top {have_k}"
        return f"the teacher's full distribution, and {self.describe()} returns " + (
            f"the sampled token's log-prob and its top {have_k}"
            if level == "topk"
            else "the sampled token's log-prob"
        )


def unpadded_rows(batch: dict[str, torch.Tensor]) -> list[list[int]]:
    """Each packed sequence of a right-padded batch as token ids."""
    lengths = batch["attention_mask"].sum(-1).tolist()
    return [row[:n] for row, n in zip(batch["input_ids"].tolist(), lengths)]
