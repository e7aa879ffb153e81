from functools import partial

import lightning.pytorch as pl
import pytest
import torch
from torch.utils.data import DataLoader

from tcod_pl.data.episode import load_episodes
from tcod_pl.data.packing import ChatPacker, collate
from tcod_pl.errors import ConfigError
from tcod_pl.models.loading import LoraOptions
from tcod_pl.models.tiny import build_tokenizer, save_tiny
from tcod_pl.modules.distill import DistillationModule
from tcod_pl.modules.sft import SFTModule


def batch_of(module, episodes_file):
    packer = ChatPacker(module.tokenizer)
    return collate(packer.pack_many(load_episodes(episodes_file)), module.tokenizer.pad_token_id)


def test_teacher_frozen_no_grad_not_in_optimizer_not_in_checkpoint(tiny_models, episodes_file, tmp_path):
    module = DistillationModule(str(tiny_models["student"]), str(tiny_models["teacher"]))
    batch = batch_of(module, episodes_file)
    trainer = pl.Trainer(
        max_epochs=1,
        logger=False,
        enable_progress_bar=False,
        accelerator="cpu",
        default_root_dir=tmp_path,
        enable_model_summary=False,
    )
    loader = DataLoader([batch], batch_size=None)
    teacher_before = {k: v.clone() for k, v in module.teacher.state_dict().items()}
    student_before = {k: v.clone() for k, v in module.student.state_dict().items()}
    trainer.fit(module, loader)
    assert all(p.grad is None and not p.requires_grad for p in module.teacher.parameters())
    assert not module.teacher.training
    for k, v in module.teacher.state_dict().items():
        assert torch.equal(v, teacher_before[k])
    assert any(not torch.equal(v, student_before[k]) for k, v in module.student.state_dict().items())
    opt_params = {id(p) for g in trainer.optimizers[0].param_groups for p in g["params"]}
    assert not opt_params & {id(p) for p in module.teacher.parameters()}
    assert opt_params == {id(p) for p in module.student.parameters()}
    ckpt_path = tmp_path / "m.ckpt"
    trainer.save_checkpoint(ckpt_path)
    ckpt = torch.load(ckpt_path, weights_only=True)
    keys = ckpt["state_dict"].keys()
    assert not [k for k in keys if k.startswith("teacher.")] and any(k.startswith("student.") for k in keys)
    restored = DistillationModule(str(tiny_models["student"]), str(tiny_models["teacher"]))
    restored.load_state_dict(ckpt["state_dict"])  # strict on the student
    for k, v in restored.student.state_dict().items():
        assert torch.equal(v, module.student.state_dict()[k])


def test_training_step_outputs_per_turn_kl(tiny_models, episodes_file):
    module = DistillationModule(str(tiny_models["student"]), str(tiny_models["teacher"]))
    batch = batch_of(module, episodes_file)
    scored = module.score(batch)
    stats = module.kl_stats(scored)
    # independent recomputation with full forward passes
    with torch.no_grad():
        ls = torch.log_softmax(module.student(input_ids=batch["input_ids"]).logits, -1)
        lt = torch.log_softmax(module.teacher(input_ids=batch["input_ids"]).logits, -1)
    expected_turn0 = []
    for b in range(batch["input_ids"].shape[0]):
        total = 0.0
        for i in range(1, batch["input_ids"].shape[1]):
            if batch["loss_mask"][b, i] and batch["turn_index"][b, i] == 0:
                y = batch["input_ids"][b, i]
                total += (ls[b, i - 1, y] - lt[b, i - 1, y]).item()
        expected_turn0.append(total)
    n_ep = batch["input_ids"].shape[0]
    assert stats.traj_kl.numel() == n_ep
    assert stats.by_turn.kl_count[0].item() == n_ep
    assert stats.by_turn.kl_sum[0].item() == pytest.approx(sum(expected_turn0), abs=1e-3)
    assert stats.traj_kl.sum().item() == pytest.approx(stats.turn_kl.sum().item(), abs=1e-4)
    assert 0.0 <= stats.low_support.item() <= 1.0


def test_lora_trains_only_adapter_weights(tiny_models, episodes_file):
    module = DistillationModule(
        str(tiny_models["student"]),
        str(tiny_models["teacher"]),
        lora=LoraOptions(r=4, alpha=8),
        optimizer=partial(torch.optim.AdamW, lr=1e-2),
    )
    trainable = [n for n, p in module.student.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    frozen_before = {n: p.clone() for n, p in module.student.named_parameters() if not p.requires_grad}
    opt = module.configure_optimizers()
    loss = module.score(batch_of(module, episodes_file)).loss
    loss.backward()
    opt.step()
    for n, p in module.student.named_parameters():
        if not p.requires_grad:
            assert torch.equal(p, frozen_before[n]), n


def test_export_merges_lora_into_a_plain_hf_model(tiny_models, tmp_path):
    from transformers import AutoModelForCausalLM

    module = SFTModule(str(tiny_models["student"]), lora=LoraOptions(r=4, alpha=8))
    path = module.save_pretrained(tmp_path / "export")
    reloaded = AutoModelForCausalLM.from_pretrained(path)
    assert not any("lora" in n for n, _ in reloaded.named_parameters())
    ids = torch.tensor([[1, 2, 3]])
    with torch.no_grad():
        assert torch.allclose(reloaded(input_ids=ids).logits, module.student(input_ids=ids).logits, atol=1e-5)


def test_vocabulary_mismatch_is_one_clear_error(tiny_models, tmp_path):
    other = save_tiny(tmp_path / "other", build_tokenizer(["completely different words here"]), "nano")
    with pytest.raises(ConfigError) as err:
        DistillationModule(str(tiny_models["student"]), str(other))
    msg = str(err.value)
    assert "do not share a tokenizer vocabulary" in msg and str(other) in msg and "\n" not in msg


def test_missing_model_path_is_one_clear_error(tiny_models, tmp_path):
    with pytest.raises(ConfigError, match="teacher model path .* does not exist"):
        DistillationModule(str(tiny_models["student"]), str(tmp_path / "nope"))


def test_sft_reduces_loss(tiny_models, episodes_file):
    torch.manual_seed(0)
    module = SFTModule(str(tiny_models["student"]), optimizer=partial(torch.optim.AdamW, lr=1e-2))
    batch = batch_of(module, episodes_file)
    opt = module.configure_optimizers()
    first = module._loss(batch)[0].item()
    for _ in range(30):
        opt.zero_grad()
        loss = module._loss(batch)[0]
        loss.backward()
        opt.step()
    assert loss.item() < 0.7 * first


def test_clipped_and_plain_losses_give_the_same_gradient_with_one_update_per_batch(
    tiny_models, episodes_file
):
    """The reference's PPO-style path takes the ratio against log-probs the trainer recomputes before
    the update; with one update per batch that ratio is 1, so clipping changes nothing, even when the
    behaviour log-probs recorded at generation time are stale (here: off by 0.7 nats per token)."""
    from tcod_pl.losses import SampledReverseKL

    grads = {}
    for name, loss in {"plain": SampledReverseKL(), "clipped": SampledReverseKL(clip_ratio=0.2)}.items():
        module = DistillationModule(str(tiny_models["student"]), str(tiny_models["teacher"]), loss=loss)
        batch = batch_of(module, episodes_file)
        with torch.no_grad():
            lp = torch.log_softmax(module.student(input_ids=batch["input_ids"]).logits[:, :-1], -1)
            now = lp.gather(-1, batch["input_ids"][:, 1:, None]).squeeze(-1)
        stale = torch.where(batch["loss_mask"][:, 1:], now - 0.7, torch.nan)
        batch["behaviour_logprobs"] = torch.cat([batch["behaviour_logprobs"][:, :1], stale], 1)
        module.student.zero_grad()
        module.score(batch).loss.backward()
        grads[name] = torch.cat([p.grad.flatten() for p in module.student.parameters() if p.grad is not None])
    assert grads["plain"].abs().max() > 1e-4
    torch.testing.assert_close(grads["clipped"], grads["plain"], rtol=1e-5, atol=1e-7)
