"""Model options: embeddings padded beyond the tokenizer (as Qwen's are) and attn_implementation."""

import pytest
import torch
from test_distill_module import batch_of
from transformers import AutoModelForCausalLM, AutoTokenizer

from tcod_pl.errors import ConfigError
from tcod_pl.losses import ReverseKL
from tcod_pl.modules.distill import DistillationModule


def padded(source, extra: int, path):
    """``source`` with ``extra`` embedding rows past the tokenizer (Qwen pads to a multiple of 128)."""
    model = AutoModelForCausalLM.from_pretrained(source)
    tokenizer = AutoTokenizer.from_pretrained(source)
    rows = len(tokenizer)
    model.resize_token_embeddings(rows + extra, mean_resizing=False)
    with torch.no_grad():
        head = model.get_output_embeddings().weight
        # rows that look like tokens (scaled copies of real ones; tied to the input embeddings)
        head[rows:] = 6.0 * head[torch.randperm(rows, generator=torch.Generator().manual_seed(extra))[:extra]]
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def test_padded_embeddings_of_different_sizes_enter_no_distribution(tiny_models, episodes_file, tmp_path):
    student = padded(tiny_models["student"], 24, tmp_path / "student")
    teacher = padded(tiny_models["teacher"], 56, tmp_path / "teacher")
    module = DistillationModule(str(student), str(teacher), loss=ReverseKL())
    vocab = len(module.tokenizer)
    assert module.vocab_size == vocab
    assert module.student.get_output_embeddings().weight.shape[0] == vocab + 24
    assert module.teacher.model.get_output_embeddings().weight.shape[0] == vocab + 56
    batch = batch_of(module, episodes_file)
    with torch.no_grad():
        scored = module.score(batch)
        # independently: full forwards, both distributions over the tokenizer's tokens only
        ls = module.student(input_ids=batch["input_ids"]).logits[:, :-1, :vocab].log_softmax(-1)
        lt = module.teacher(input_ids=batch["input_ids"]).logits[:, :-1, :vocab].log_softmax(-1)
        select = batch["loss_mask"][:, 1:]
        kl = (ls.exp() * (ls - lt)).sum(-1)[select]
        targets = batch["input_ids"][:, 1:][select]
    torch.testing.assert_close(scored.loss, kl.mean(), rtol=1e-5, atol=1e-6)
    lp_s = ls[select].gather(-1, targets[:, None])[:, 0]
    torch.testing.assert_close(scored.lp_student, lp_s, rtol=1e-5, atol=1e-5)
    # the padding would have mattered: its 24 rows take ~5% of the mass (log 476/500 = -0.05),
    # thousands of times the tolerance above
    with torch.no_grad():
        with_padding = module.student(input_ids=batch["input_ids"]).logits[:, :-1].log_softmax(-1)
    assert (with_padding[select].gather(-1, targets[:, None])[:, 0] - lp_s).mean() < -0.03


def test_attn_implementation_reaches_both_models_and_scores_alike(tiny_models, episodes_file):
    default = DistillationModule(str(tiny_models["student"]), str(tiny_models["teacher"]))
    eager = DistillationModule(
        str(tiny_models["student"]), str(tiny_models["teacher"]), attn_implementation="eager"
    )
    assert eager.student.config._attn_implementation == "eager"
    assert eager.teacher.model.config._attn_implementation == "eager"
    assert default.student.config._attn_implementation != "eager"  # transformers' default: sdpa
    batch = batch_of(default, episodes_file)
    with torch.no_grad():
        a, b = default.score(batch), eager.score(batch)
    torch.testing.assert_close(a.lp_student, b.lp_student, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(a.lp_teacher, b.lp_teacher, rtol=1e-4, atol=1e-5)


def test_unknown_attn_implementation_is_one_line_naming_the_option(tiny_models):
    with pytest.raises(ConfigError) as err:
        DistillationModule(
            str(tiny_models["student"]), str(tiny_models["teacher"]), attn_implementation="nope"
        )
    assert "attn_implementation 'nope'" in str(err.value) and "\n" not in str(err.value)
