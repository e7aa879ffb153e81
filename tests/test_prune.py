"""Structured pruning of a Qwen2 teacher into a student (tcod_pl.models.prune)."""

from __future__ import annotations

import math

import pytest
import torch
from transformers import AutoModelForCausalLM

from tcod_pl.models.prune import importance, prune_qwen2
from tcod_pl.testing import make_tiny_models


@pytest.fixture(scope="module")
def teacher_path(tmp_path_factory):
    # "tiny": hidden 128, 4 layers, 4 query heads in 2 kv groups, 384 MLP neurons
    return make_tiny_models(tmp_path_factory.mktemp("prune"), {"teacher": "tiny"})["teacher"]


def _load(path):
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    with torch.no_grad():  # random biases and norm weights: a wrongly indexed one shows in the logits
        for name, p in model.named_parameters():
            if name.endswith("bias") or "norm" in name:
                p.normal_(0.5, 0.3)
    return model


def _ids(model, n=3, seed=1):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randint(0, model.config.vocab_size, (2, 24), generator=gen) for _ in range(n)]


def test_keeping_everything_reproduces_the_model(teacher_path):
    teacher = _load(teacher_path)
    cfg = teacher.config
    same = prune_qwen2(teacher, importance(teacher, _ids(teacher)), 128, 2, 384)
    ids = _ids(teacher, 1, seed=2)[0]
    torch.testing.assert_close(same(input_ids=ids).logits, teacher(input_ids=ids).logits, rtol=0, atol=0)
    assert same.config.num_attention_heads == cfg.num_attention_heads


def test_pruning_keeps_the_live_parts_and_computes_what_the_teacher_computes(teacher_path):
    """A teacher whose half of the residual channels, one kv group per layer and 2/3 of its MLP neurons
    are dead (exactly zero) computes, apart from RMSNorm's mean over the dead channels, what a narrower
    model computes: the importance must find the live parts, and the pruned model must equal the
    teacher with its norm weights rescaled by sqrt(kept / all channels)."""
    teacher = _load(teacher_path)
    cfg = teacher.config
    head_dim = cfg.hidden_size // cfg.num_attention_heads
    gen = torch.Generator().manual_seed(3)
    dead_h = torch.randperm(cfg.hidden_size, generator=gen)[: cfg.hidden_size // 2]
    with torch.no_grad():
        teacher.model.embed_tokens.weight[:, dead_h] = 0
        for layer in teacher.model.layers:
            g = int(torch.randint(0, cfg.num_key_value_heads, (1,), generator=gen))
            rows = slice(g * head_dim, (g + 1) * head_dim)
            layer.self_attn.v_proj.weight[rows] = 0
            layer.self_attn.v_proj.bias[rows] = 0
            layer.self_attn.o_proj.weight[dead_h] = 0
            dead_n = torch.randperm(cfg.intermediate_size, generator=gen)[: 2 * cfg.intermediate_size // 3]
            layer.mlp.up_proj.weight[dead_n] = 0
            layer.mlp.down_proj.weight[dead_h] = 0
    scores = importance(teacher, _ids(teacher))
    pruned = prune_qwen2(teacher, scores, 64, 1, 128)
    assert set(range(cfg.hidden_size)) - set(dead_h.tolist()) == set(scores.hidden.topk(64).indices.tolist())
    reference = AutoModelForCausalLM.from_config(cfg).eval()
    reference.load_state_dict(teacher.state_dict())
    with torch.no_grad():
        for name, p in reference.named_parameters():
            if "norm" in name:
                p.mul_(math.sqrt(64 / cfg.hidden_size))
    ids = _ids(teacher, 1, seed=2)[0]
    torch.testing.assert_close(
        pruned(input_ids=ids).logits, reference(input_ids=ids).logits, rtol=1e-4, atol=1e-4
    )
    assert sum(p.numel() for p in pruned.parameters()) < sum(p.numel() for p in teacher.parameters()) / 3


def test_sizes_that_do_not_fit_are_refused(teacher_path):
    teacher = _load(teacher_path)
    scores = importance(teacher, _ids(teacher, 1))
    with pytest.raises(ValueError, match="kept query heads x head size"):
        prune_qwen2(teacher, scores, 96, 1, 128)  # 2 query heads x 32 = 64, not 96
    with pytest.raises(ValueError, match="intermediate_size must be in 1..384"):
        prune_qwen2(teacher, scores, 64, 1, 500)
