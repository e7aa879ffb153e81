"""Logits of a causal LM at chosen positions only."""

from __future__ import annotations

import torch
from torch import nn


def logits_at(model: nn.Module, batch: dict[str, torch.Tensor], select: torch.Tensor) -> torch.Tensor:
    """Logits (fp32) at the positions of ``select`` [B, L-1]: a full [B, L, V] tensor is never built."""
    hidden = model.get_decoder()(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
    ).last_hidden_state
    return model.get_output_embeddings()(hidden[:, :-1][select]).float()
