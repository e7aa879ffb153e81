"""Logits of a causal LM at chosen positions only."""

from __future__ import annotations

import torch
from torch import nn

# The name under which a sharded model carries ``logits_at`` as an FSDP forward method
# (tcod_pl.models.sharding): called from outside ``forward``, its units must still gather.
SHARDED_METHOD = "tcod_logits_at"


def logits_at(model: nn.Module, batch: dict[str, torch.Tensor], select: torch.Tensor) -> torch.Tensor:
    """Logits (fp32) at the positions of ``select`` [B, L-1]: a full [B, L, V] tensor is never built."""
    method = getattr(model, SHARDED_METHOD, None)
    if method is not None:
        return method(batch, select)
    return selected_logits(model, batch, select)


def selected_logits(model: nn.Module, batch: dict[str, torch.Tensor], select: torch.Tensor) -> torch.Tensor:
    hidden = model.get_decoder()(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
    ).last_hidden_state
    return model.get_output_embeddings()(hidden[:, :-1][select]).float()
