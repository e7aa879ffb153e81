"""The curriculum end to end: tiny models, the real RolloutDataModule, the real ScienceWorld."""

from __future__ import annotations

import lightning.pytorch as pl
import pytest

from callbacks import Constant, CurriculumCallback, KLStabilityMonitor, Linear
from callbacks.schedules import Schedule
from tcod_pl.testing import quiet_trainer

TASK = "find-non-living-thing"


def fit_rollouts(tiny_models, schedule: Schedule, mode: str, max_turns: int, epochs: int = 4):
    from tcod_pl.envs import ScienceWorldConfig
    from tcod_pl.modules.distill import DistillationModule
    from tcod_pl.rollout.datamodule import RolloutDataModule
    from tcod_pl.rollout.policy import HFPolicy

    pl.seed_everything(0)
    module = DistillationModule(student=str(tiny_models["student"]), teacher=str(tiny_models["teacher"]))
    dm = RolloutDataModule(
        # One variation: every step plays the same task, so its expert length L is fixed.
        env=ScienceWorldConfig(task_names=[TASK], max_variations_per_task=1),
        episodes_per_step=2,
        max_turns=max_turns,
        num_env_workers=1,
        policy=HFPolicy(max_new_tokens=8),
        progress=False,
    )
    trainer = quiet_trainer(
        max_epochs=epochs,
        limit_val_batches=0,
        callbacks=[CurriculumCallback(schedule, mode=mode), KLStabilityMonitor(window=2, log_images_every=0)],
    )
    trainer.fit(module, datamodule=dm)
    return trainer, dm


@pytest.fixture(scope="module")
def expert_length(tiny_models) -> int:
    from tcod_pl.envs import EnvPool, ScienceWorldConfig

    config = ScienceWorldConfig(task_names=[TASK], max_variations_per_task=1)
    with EnvPool(config, num_workers=1) as pool:
        [gold] = pool.expert_actions(config.tasks("train")[:1])
    return len(gold)


def test_f2b_depths_of_epochs_1_to_4_follow_the_schedule(tiny_models):
    schedule = Linear(k_start=1, eta=2, max_depth=30)
    trainer, dm = fit_rollouts(tiny_models, schedule, "f2b", max_turns=5)
    assert [(h["epoch"], h["depth"], h["mode"]) for h in dm.depth_history] == [
        (e, schedule.depth(e + 1), "f2b") for e in range(4)
    ]
    assert [h["depth"] for h in dm.depth_history] == [1, 2, 2, 3]
    assert all(h["mean_student_turns"] <= h["depth"] for h in dm.depth_history)
    assert trainer.callback_metrics["curriculum/depth"] == 3.0
    assert "kl/turn_00" in trainer.callback_metrics


def test_b2f_replays_shrink_as_depth_grows(tiny_models, expert_length):
    assert expert_length >= 4
    schedule = Linear(k_start=1, eta=2, max_depth=30)
    _, dm = fit_rollouts(tiny_models, schedule, "b2f", max_turns=expert_length + 1)
    replayed = [h["mean_replayed"] for h in dm.depth_history]
    assert replayed == [expert_length - schedule.depth(n) for n in range(1, 5)]
    assert replayed[0] > replayed[1] == replayed[2] > replayed[3]


def test_constant_none_plays_full_episodes(tiny_models):
    _, dm = fit_rollouts(tiny_models, Constant(), "f2b", max_turns=4, epochs=2)
    assert [(h["depth"], h["mode"], h["mean_replayed"]) for h in dm.depth_history] == [
        (None, "full", 0.0)
    ] * 2
    for ep in dm.last_episodes["train"]:
        assert ep.expert_prefix == 0
        assert len(ep.turns) == 4 or ep.turns[-1].done  # until done or max_turns, never truncated early
