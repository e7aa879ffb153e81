"""FSDP2 for the student (and an in-process teacher): shard by decoder layer, gather for rollouts."""

from __future__ import annotations

import contextlib
import types
from collections.abc import Iterator

import torch
from torch import nn
from torch.distributed.device_mesh import DeviceMesh
from torch.distributed.fsdp import FSDPModule, fully_shard, register_fsdp_forward_method
from torch.distributed.tensor import DTensor

from tcod_pl.models.scoring import SHARDED_METHOD, selected_logits


def decoder_layers(model: nn.Module) -> list[nn.Module]:
    """The blocks a Hugging Face model says must not be split (``_no_split_modules``)."""
    names: set[str] = set()
    for module in model.modules():
        names.update(getattr(module, "_no_split_modules", None) or ())
    layers = [m for m in model.modules() if type(m).__name__ in names]
    if not layers:
        raise ValueError(f"{type(model).__name__} names no decoder layer (_no_split_modules) to shard by")
    return layers


def shard(model: nn.Module, mesh: DeviceMesh) -> None:
    """``fully_shard`` each decoder layer, then the rest (embeddings, norm, head) as one unit.

    A 2-D mesh (replicate, shard) gives hybrid sharding: replicated across its first dimension.
    """
    for layer in decoder_layers(model):
        fully_shard(layer, mesh=mesh)
    fully_shard(model, mesh=mesh)
    # Scoring calls the decoder and the head, not ``forward``: as an FSDP forward method the
    # root unit (embeddings, tied head) gathers for it and reduces its gradients after.
    setattr(model, SHARDED_METHOD, types.MethodType(selected_logits, model))
    register_fsdp_forward_method(model, SHARDED_METHOD)


def is_sharded(model: nn.Module) -> bool:
    return isinstance(model, FSDPModule)


@contextlib.contextmanager
def gathered(model: nn.Module) -> Iterator[nn.Module]:
    """Full weights on this rank for the block: one all-gather per unit on entry, none in forward.

    Rollouts generate a different number of tokens on each rank; a forward that gathered its
    layers would pair collective calls across ranks that do not match. Gathering once, the same
    on every rank, leaves forward free of collectives. Not sharded: the model as is.
    """
    units = [m for m in model.modules() if isinstance(m, FSDPModule)]
    if not units:
        yield model
        return
    for unit in units:
        unit.set_reshard_after_forward(False, recurse=False)
        unit.unshard()
    try:
        yield model
    finally:
        for unit in units:
            unit.reshard()
            unit.set_reshard_after_forward(True, recurse=False)


def full(tensor: torch.Tensor) -> torch.Tensor:
    """The whole tensor of a sharded parameter (a collective: every rank calls it), else itself."""
    return tensor.full_tensor() if isinstance(tensor, DTensor) else tensor


def local(tensor: torch.Tensor) -> torch.Tensor:
    """This rank's shard of a sharded parameter, else the tensor."""
    return tensor.to_local() if isinstance(tensor, DTensor) else tensor


def fsdp_mesh(mesh: DeviceMesh) -> DeviceMesh:
    """The sharding mesh of ``FSDP2Strategy``'s (replicate, shard) mesh: 1-D unless replicated."""
    if mesh.ndim == 2 and mesh.size(0) == 1:
        return mesh[mesh.mesh_dim_names[1]]
    return mesh
