"""A schedule with ``total_steps: null`` gets an exact horizon: optimizer steps when the loader's
length is exact (batch_unit episodes), training steps under batch_unit turns."""

import math
from functools import partial

import pytest
import torch

from tcod_pl.envs import ScienceWorldConfig
from tcod_pl.modules.distill import DistillationModule
from tcod_pl.modules.optim import WarmupCosine
from tcod_pl.rollout.datamodule import RolloutDataModule
from tcod_pl.rollout.policy import HFPolicy
from tcod_pl.testing import quiet_trainer

LR = 1e-3


@pytest.mark.parametrize("unit", ["episodes", "turns"])
def test_cosine_reaches_zero_at_the_last_step(unit, tiny_models):
    module = DistillationModule(
        str(tiny_models["student"]),
        str(tiny_models["teacher"]),
        optimizer=partial(torch.optim.AdamW, lr=LR),
        lr_scheduler=partial(WarmupCosine, decay="cosine", total_steps=None),
    )
    data = RolloutDataModule(
        ScienceWorldConfig(task_names=["find-living-thing"]),
        episodes_per_step=2,
        batch_unit=unit,
        batch_size=1,
        max_turns=3,
        num_env_workers=0,
        policy=HFPolicy(max_new_tokens=4),
        progress=False,
    )
    lrs: list[float] = []
    steps_per_epoch: list[int] = []
    trainer = quiet_trainer(max_epochs=2, limit_val_batches=0, num_sanity_val_steps=0)
    # the learning rate each optimizer update uses
    module.on_before_optimizer_step = lambda optimizer: lrs.append(optimizer.param_groups[0]["lr"])
    module.on_train_epoch_end = lambda: steps_per_epoch.append(trainer.global_step)
    trainer.fit(module, datamodule=data)
    scheduler = trainer.lr_scheduler_configs[0]
    if unit == "episodes":
        # 2 episodes of 1 per batch: 2 updates a step, 4 in all, exactly the horizon
        assert scheduler.interval == "step" and scheduler.scheduler.total_steps == 4 == trainer.global_step
        expected = [LR * 0.5 * (1 + math.cos(math.pi * s / 4)) for s in range(4)]
        assert lrs == pytest.approx(expected)
        assert trainer.optimizers[0].param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)  # at the horizon
    else:
        # one update per supervised turn; the old horizon (every episode at its cap) was 2 * 2 * 3 = 12
        assert scheduler.interval == "epoch" and scheduler.scheduler.total_steps == 2
        first = steps_per_epoch[0]
        # constant within a training step, the cosine between steps: factor 1, then cos(pi/2)
        assert lrs[:first] == pytest.approx([LR] * first)
        assert lrs[first:] == pytest.approx([LR * 0.5] * (len(lrs) - first))
        assert trainer.optimizers[0].param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)
