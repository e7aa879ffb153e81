"""Structured width pruning of a Qwen2 teacher into a student (Minitron-style).

Muralidharan et al. 2024 ("Compact Language Models via Pruning and Knowledge Distillation"):
rank residual-stream channels, attention heads and MLP neurons by their activations on a small
calibration set, keep the top ones, then recover by distillation. A student pruned from its teacher
shares the teacher's features, so it starts close to the teacher in the way a distillation run can
use, where a randomly initialised student of the same size starts far from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM


@dataclass
class Importance:
    """Summed activation magnitudes on the calibration set."""

    hidden: torch.Tensor  # [hidden]: |RMSNorm output| over every norm of the model
    kv_groups: list[torch.Tensor]  # per layer [kv_heads]: attention output norm, summed per group
    neurons: list[torch.Tensor]  # per layer [intermediate]: |act(gate) * up|


def _head_dim(cfg: Qwen2Config) -> int:
    return getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads


@torch.no_grad()
def importance(model: Qwen2ForCausalLM, batches: Iterable[torch.Tensor]) -> Importance:
    """Activation-based importance of ``model``'s channels, heads and neurons on ``batches`` of ids."""
    cfg = model.config
    head_dim = _head_dim(cfg)
    layers = model.model.layers
    hidden = torch.zeros(cfg.hidden_size)
    heads = [torch.zeros(cfg.num_attention_heads) for _ in layers]
    neurons = [torch.zeros(cfg.intermediate_size) for _ in layers]
    hooks = []

    def on_norm(_module, _inputs, output):
        hidden.add_(output.detach().abs().float().sum(dim=(0, 1)))

    norms = [m for layer in layers for m in (layer.input_layernorm, layer.post_attention_layernorm)]
    for norm in [*norms, model.model.norm]:
        hooks.append(norm.register_forward_hook(on_norm))
    for i, layer in enumerate(layers):

        def on_heads(_module, inputs, i=i):
            x = inputs[0].detach().float()
            heads[i].add_(x.view(*x.shape[:-1], -1, head_dim).norm(dim=-1).sum(dim=(0, 1)))

        def on_neurons(_module, inputs, i=i):
            neurons[i].add_(inputs[0].detach().abs().float().sum(dim=(0, 1)))

        hooks.append(layer.self_attn.o_proj.register_forward_pre_hook(on_heads))
        hooks.append(layer.mlp.down_proj.register_forward_pre_hook(on_neurons))
    was_training = model.training
    model.eval()
    try:
        for ids in batches:
            model(input_ids=ids)
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    per_group = cfg.num_attention_heads // cfg.num_key_value_heads  # q heads sharing one kv head
    groups = [h.view(cfg.num_key_value_heads, per_group).sum(dim=1) for h in heads]
    return Importance(hidden=hidden, kv_groups=groups, neurons=neurons)


def _top(scores: torch.Tensor, k: int) -> torch.Tensor:
    """Indices of the ``k`` largest scores, in their original order."""
    return scores.topk(k).indices.sort().values


@torch.no_grad()
def prune_qwen2(
    model: Qwen2ForCausalLM,
    scores: Importance,
    hidden_size: int,
    num_key_value_heads: int,
    intermediate_size: int,
) -> Qwen2ForCausalLM:
    """A narrower copy of ``model``: the top ``hidden_size`` residual channels, the top
    ``num_key_value_heads`` kv groups (each with its query heads) and the top ``intermediate_size``
    MLP neurons of every layer. Depth and head size are kept."""
    cfg = model.config
    head_dim = _head_dim(cfg)
    per_group = cfg.num_attention_heads // cfg.num_key_value_heads
    limits = {
        "hidden_size": (hidden_size, cfg.hidden_size),
        "num_key_value_heads": (num_key_value_heads, cfg.num_key_value_heads),
        "intermediate_size": (intermediate_size, cfg.intermediate_size),
    }
    for name, (new, old) in limits.items():
        if not 0 < new <= old:
            raise ValueError(f"prune_qwen2: {name} must be in 1..{old} (the model's), got {new}")
    heads = num_key_value_heads * per_group
    if heads * head_dim != hidden_size:
        # vLLM and Qwen2's default head size read hidden_size / num_attention_heads
        raise ValueError(
            f"prune_qwen2: hidden_size {hidden_size} must equal the kept query heads x head size "
            f"({heads} x {head_dim} = {heads * head_dim}); choose num_key_value_heads = "
            f"hidden_size / ({per_group} x {head_dim})"
        )
    new_cfg = Qwen2Config.from_dict(
        {
            **cfg.to_dict(),
            "hidden_size": hidden_size,
            "num_attention_heads": heads,
            "num_key_value_heads": num_key_value_heads,
            "intermediate_size": intermediate_size,
        }
    )
    student = Qwen2ForCausalLM(new_cfg).to(model.dtype)
    keep_h = _top(scores.hidden, hidden_size)
    new_sd = {}
    for name, tensor in model.state_dict().items():
        if name == "lm_head.weight" and cfg.tie_word_embeddings:
            continue
        new_sd[name] = tensor
    new_sd["model.embed_tokens.weight"] = model.model.embed_tokens.weight[:, keep_h]
    new_sd["model.norm.weight"] = model.model.norm.weight[keep_h]
    if not cfg.tie_word_embeddings:
        new_sd["lm_head.weight"] = model.lm_head.weight[:, keep_h]
    for i, layer in enumerate(model.model.layers):
        p = f"model.layers.{i}."
        groups = _top(scores.kv_groups[i], num_key_value_heads)
        q_heads = (groups[:, None] * per_group + torch.arange(per_group)).flatten()
        q_rows = (q_heads[:, None] * head_dim + torch.arange(head_dim)).flatten()
        kv_rows = (groups[:, None] * head_dim + torch.arange(head_dim)).flatten()
        keep_n = _top(scores.neurons[i], intermediate_size)
        attn, mlp = layer.self_attn, layer.mlp
        new_sd[p + "input_layernorm.weight"] = layer.input_layernorm.weight[keep_h]
        new_sd[p + "post_attention_layernorm.weight"] = layer.post_attention_layernorm.weight[keep_h]
        new_sd[p + "self_attn.q_proj.weight"] = attn.q_proj.weight[q_rows][:, keep_h]
        new_sd[p + "self_attn.q_proj.bias"] = attn.q_proj.bias[q_rows]
        for proj in ("k_proj", "v_proj"):
            lin = getattr(attn, proj)
            new_sd[p + f"self_attn.{proj}.weight"] = lin.weight[kv_rows][:, keep_h]
            new_sd[p + f"self_attn.{proj}.bias"] = lin.bias[kv_rows]
        new_sd[p + "self_attn.o_proj.weight"] = attn.o_proj.weight[keep_h][:, q_rows]
        new_sd[p + "mlp.gate_proj.weight"] = mlp.gate_proj.weight[keep_n][:, keep_h]
        new_sd[p + "mlp.up_proj.weight"] = mlp.up_proj.weight[keep_n][:, keep_h]
        new_sd[p + "mlp.down_proj.weight"] = mlp.down_proj.weight[keep_h][:, keep_n]
    missing, unexpected = student.load_state_dict({k: v.clone() for k, v in new_sd.items()}, strict=False)
    missing = [k for k in missing if not (k == "lm_head.weight" and cfg.tie_word_embeddings)]
    if missing or unexpected:
        raise RuntimeError(f"prune_qwen2: state dict mismatch (missing {missing}, unexpected {unexpected})")
    if cfg.tie_word_embeddings:
        student.tie_weights()
    return student
