"""GKD's on-policy fraction: expert demonstrations mixed into training, and the loss they get."""

from __future__ import annotations

import random

import lightning.pytorch as pl
import pytest
import torch

from tcod_pl.data.packing import ChatPacker, collate
from tcod_pl.errors import ConfigError
from tcod_pl.losses import ForwardKL, ReverseKL, SampledReverseKL
from tcod_pl.modules.distill import DistillationModule
from tcod_pl.testing import quiet_trainer, synthetic_episode

TASK = "find-non-living-thing"


def mixed_batch(module: DistillationModule) -> dict[str, torch.Tensor]:
    """Episode 0 as the student would have sampled it (generated ids), episode 1 a demonstration."""
    rng = random.Random(0)
    sampled, demo = synthetic_episode(rng, 3, obs_words=12), synthetic_episode(rng, 2, obs_words=12)
    packer = ChatPacker(module.tokenizer)
    for turn in sampled.turns:
        turn.response_ids = packer.response_ids(turn)
        turn.logprobs = [-1.0] * len(turn.response_ids)
    demo.demonstration = True
    samples = packer.pack_many([sampled, demo])
    assert [s.on_policy for s in samples] == [True, False]
    return collate(samples, module.tokenizer.pad_token_id)


def full_forward_log_probs(module, batch):
    with torch.no_grad():
        ls = torch.log_softmax(module.student(input_ids=batch["input_ids"]).logits[:, :-1], -1)
        lt = torch.log_softmax(module.teacher(input_ids=batch["input_ids"]).logits[:, :-1], -1)
    return ls, lt


def test_each_estimator_on_its_own_tokens_weighted_by_token_count(tiny_models):
    module = DistillationModule(str(tiny_models["student"]), str(tiny_models["teacher"]))
    assert isinstance(module.loss_fn, SampledReverseKL) and isinstance(module.off_policy_loss_fn, ForwardKL)
    batch = mixed_batch(module)
    ls, lt = full_forward_log_probs(module, batch)
    sampled_terms, demo_terms = [], []
    for b in range(batch["input_ids"].shape[0]):
        for i in range(1, batch["input_ids"].shape[1]):
            if not batch["loss_mask"][b, i]:
                continue
            y = batch["input_ids"][b, i]
            if batch["on_policy"][b]:  # REINFORCE value: -(log pT - log pS) * log pS
                sampled_terms.append(-(lt[b, i - 1, y] - ls[b, i - 1, y]) * ls[b, i - 1, y])
            else:  # forward KL over the vocabulary
                demo_terms.append((lt[b, i - 1].exp() * (lt[b, i - 1] - ls[b, i - 1])).sum())
    assert sampled_terms and demo_terms
    expected = (sum(sampled_terms) + sum(demo_terms)) / (len(sampled_terms) + len(demo_terms))
    scored = module.score(batch)
    assert scored.loss.item() == pytest.approx(expected.item(), rel=1e-4)
    # The KL figures (and the curriculum's statistics) describe the student's own tokens only.
    own = scored.sampled()
    assert own.lp_student.numel() == len(sampled_terms)
    assert set(own.where.episode.tolist()) == {0}


def test_a_full_vocabulary_loss_serves_demonstrations_itself(tiny_models):
    module = DistillationModule(str(tiny_models["student"]), str(tiny_models["teacher"]), loss=ReverseKL())
    assert module.off_policy_loss_fn is module.loss_fn
    batch = mixed_batch(module)
    ls, lt = full_forward_log_probs(module, batch)
    select = batch["loss_mask"][:, 1:]
    expected = (ls.exp() * (ls - lt)).sum(-1)[select].mean()
    assert module.score(batch).loss.item() == pytest.approx(expected.item(), rel=1e-4)


def test_off_policy_loss_that_needs_samples_is_one_clear_error(tiny_models):
    with pytest.raises(
        ConfigError, match="off_policy_loss SampledReverseKL needs tokens the student sampled"
    ):
        DistillationModule(
            str(tiny_models["student"]), str(tiny_models["teacher"]), off_policy_loss=SampledReverseKL()
        )


@pytest.mark.parametrize("fraction", [-0.1, 1.5])
def test_on_policy_fraction_outside_0_1_is_one_clear_error(fraction):
    from tcod_pl.envs import ScienceWorldConfig
    from tcod_pl.rollout.datamodule import RolloutDataModule

    with pytest.raises(ConfigError, match="data.on_policy_fraction must be in"):
        RolloutDataModule(env=ScienceWorldConfig(task_names=[TASK]), on_policy_fraction=fraction)


def test_half_the_episodes_are_expert_demonstrations_on_real_scienceworld(tiny_models):
    from tcod_pl.envs import EnvPool, ScienceWorldConfig
    from tcod_pl.rollout.datamodule import RolloutDataModule
    from tcod_pl.rollout.policy import HFPolicy

    config = ScienceWorldConfig(task_names=[TASK], max_variations_per_task=4)
    max_turns = 3
    pl.seed_everything(0)
    module = DistillationModule(student=str(tiny_models["student"]), teacher=str(tiny_models["teacher"]))
    dm = RolloutDataModule(
        env=config,
        episodes_per_step=4,
        on_policy_fraction=0.5,
        max_turns=max_turns,
        num_env_workers=1,
        policy=HFPolicy(max_new_tokens=8),
        progress=False,
    )
    trainer = quiet_trainer(
        max_epochs=1,
        limit_val_batches=0,
    )
    trainer.fit(module, datamodule=dm)
    episodes = dm.last_episodes["train"]
    tasks = dm.train_tasks(0)
    assert [e.task for e in episodes] == [t.to_dict() for t in tasks]
    student, demos = episodes[:2], episodes[2:]
    assert all(not e.demonstration and e.turns[0].response_ids is not None for e in student)
    assert all(e.demonstration and e.turns[0].response_ids is None for e in demos)
    with EnvPool(config, num_workers=1) as pool:
        gold = pool.expert_actions(tasks[2:])
    assert [[t.action for t in e.turns] for e in demos] == [g[:max_turns] for g in gold]
    assert all(t.supervised for e in demos for t in e.turns)
    # The curriculum's record and the logged rollout outcomes count the student's episodes only.
    assert dm.depth_history[0]["episodes"] == 2
    demo_tokens = sum(len(dm.packer.response_ids(t)) for e in demos for t in e.turns)
    assert trainer.callback_metrics["train/demonstration_tokens"].item() == demo_tokens
    rounds = sum(e.rounds for e in student) / 2
    assert trainer.callback_metrics["train/rounds"].item() == pytest.approx(rounds)
