"""The paper's settings per benchmark x method (through the real CLI) and the update unit."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import lightning.pytorch as pl
import pytest
import torch
import yaml
from transformers import AutoTokenizer

from tcod_pl.cli import TcodCLI
from tcod_pl.data.packing import ChatPacker
from tcod_pl.rollout.datamodule import turn_batches
from tcod_pl.testing import quiet_trainer, synthetic_episode

CONFIGS = Path(__file__).resolve().parents[1] / "configs" / "paper"
# benchmark -> (max turns, steps, eta F2B, eta B2F, aggregation F2B): the reference's values
PAPER = {
    "scienceworld": (30, 250, 6, 5, "token-mean"),
    "alfworld": (30, 250, 6, 5, "seq-mean-token-mean"),
    "webshop": (15, 150, 4, 4, "token-mean"),
}


def resolved(path: Path, capsys, monkeypatch) -> dict:
    monkeypatch.setattr(sys, "argv", ["tcod-pl"])  # the CLI reads its arguments from `args` only
    with pytest.raises(SystemExit) as stop:
        TcodCLI(args=["fit", "--config", str(path), "--print_config"])
    assert stop.value.code in (0, None)
    return yaml.safe_load(capsys.readouterr().out)


def test_the_in_process_teacher_is_one_override_away(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["tcod-pl"])
    path = CONFIGS / "scienceworld" / "f2b.yaml"
    with pytest.raises(SystemExit):
        TcodCLI(
            args=["fit", "--config", str(path), "--model.init_args.teacher", "org/teacher", "--print_config"]
        )
    assert yaml.safe_load(capsys.readouterr().out)["model"]["init_args"]["teacher"] == "org/teacher"


@pytest.mark.parametrize("benchmark", sorted(PAPER))
def test_paper_configs_carry_the_references_settings(benchmark, capsys, monkeypatch):
    max_turns, steps, eta_f2b, eta_b2f, agg_f2b = PAPER[benchmark]
    for method in ("f2b", "b2f", "vanilla"):
        cfg = resolved(CONFIGS / benchmark / f"{method}.yaml", capsys, monkeypatch)
        model, data, trainer = cfg["model"]["init_args"], cfg["data"]["init_args"], cfg["trainer"]
        optimizer = model["optimizer"]
        assert optimizer["class_path"] == "torch.optim.AdamW"
        assert optimizer["init_args"]["lr"] == 1e-6 and optimizer["init_args"]["weight_decay"] == 0.01
        assert model["teacher_temperature"] == 1.0 and model["lr_scheduler"] is None  # constant
        # the teacher is a served endpoint, launched by the line in the file's header
        teacher = model["teacher"]
        assert teacher["class_path"] == "tcod_pl.teachers.ServedTeacher"
        header = (CONFIGS / benchmark / f"{method}.yaml").read_text().split("\nseed_everything")[0]
        assert f"vllm serve {teacher['init_args']['model']} --tensor-parallel-size 2" in header
        aggregation = agg_f2b if method == "f2b" else "token-mean"
        assert model["loss"]["init_args"]["aggregation"] == aggregation, method
        assert data["episodes_per_step"] == 16 and data["max_turns"] == max_turns
        assert data["temperature"] == 1.0 and data["eval_temperature"] == 0.4
        assert data["b2f_context"] == "summary"
        # the reference's prompt: the task, then the current observation and the action hints
        prompt = data["prompt"]["init_args"]
        assert prompt["task_every_turn"] is True and prompt["hints"] == "every"
        # 64 supervised turns per optimizer update, as the reference's train_batch_size
        assert data["batch_unit"] == "turns" and data["batch_size"] * trainer["accumulate_grad_batches"] == 64
        assert trainer["max_epochs"] == steps and trainer["gradient_clip_val"] == 1.0
        assert trainer["check_val_every_n_epoch"] == 5
        curriculum = cfg["curriculum"]
        schedule = curriculum["schedule"]
        if method == "vanilla":
            assert schedule["class_path"].endswith("Constant") and schedule["init_args"]["depth"] is None
        else:
            assert curriculum["mode"] == method
            assert schedule["class_path"].endswith("Linear")
            eta = eta_f2b if method == "f2b" else eta_b2f
            assert schedule["init_args"] == {"k_start": 1, "eta": eta, "max_depth": max_turns}


def test_turn_batches_hold_a_fixed_number_of_supervised_turns(tiny_models):
    packer = ChatPacker(AutoTokenizer.from_pretrained(tiny_models["student"]))
    rng = random.Random(0)
    episodes = [synthetic_episode(rng, turns=n, obs_words=6) for n in (5, 3, 4, 2)]  # 14 turns
    samples = packer.pack_many(episodes, with_outcome=True)
    groups = list(turn_batches(samples, 4))

    def turns(group):
        return sorted({(s.episode, t) for s in group for t, m in zip(s.turn_index, s.loss_mask) if m})

    assert [len(turns(g)) for g in groups] == [4, 4, 4, 2]
    seen = [key for g in groups for key in turns(g)]
    assert sorted(seen) == sorted({(i, t) for i, ep in enumerate(episodes) for t in range(len(ep.turns))})
    assert len(seen) == len(set(seen))  # every turn supervised exactly once
    firsts = [s.episode for g in groups for s in g if s.first]
    assert sorted(firsts) == [0, 1, 2, 3]  # outcomes counted once per episode
    # a split episode keeps its full token sequence in both groups (earlier turns are context)
    assert groups[0][-1].input_ids == groups[1][0].input_ids == samples[0].input_ids
    # evaluation never splits an episode: whole samples until a group reaches 4 turns
    whole = list(turn_batches(samples, 4, split=False))
    assert [[s.episode for s in g] for g in whole] == [[0], [1, 2], [3]]


def test_turns_as_update_unit_gives_one_optimizer_step_per_fixed_number_of_turns(tiny_models):
    """Real ScienceWorld and Lightning: two episodes of up to 3 turns, 2 supervised turns per batch,
    accumulate_grad_batches 2 -> one optimizer step per 4 turns, the last one with what is left."""
    from tcod_pl.envs import ScienceWorldConfig
    from tcod_pl.modules.distill import DistillationModule
    from tcod_pl.rollout.datamodule import RolloutDataModule
    from tcod_pl.rollout.policy import HFPolicy

    class Turns(pl.Callback):
        def __init__(self):
            self.per_batch: list[int] = []

        def on_train_batch_start(self, trainer, module, batch, batch_idx):
            ids = batch["episode_index"][:, None] * 1000 + batch["turn_index"]
            self.per_batch.append(int(torch.unique(ids[batch["loss_mask"]]).numel()))

    pl.seed_everything(0)
    module = DistillationModule(student=str(tiny_models["student"]), teacher=str(tiny_models["teacher"]))
    dm = RolloutDataModule(
        env=ScienceWorldConfig(task_names=["find-non-living-thing"]),
        episodes_per_step=2,
        batch_unit="turns",
        batch_size=2,
        max_turns=3,
        num_env_workers=1,
        policy=HFPolicy(max_new_tokens=6),
        progress=False,
    )
    turns = Turns()
    trainer = quiet_trainer(
        max_epochs=1,
        limit_val_batches=0,
        accumulate_grad_batches=2,
        callbacks=[turns],
    )
    trainer.fit(module, datamodule=dm)
    total = sum(e.num_supervised for e in dm.last_episodes["train"])
    assert total >= 3 and sum(turns.per_batch) == total
    assert turns.per_batch[:-1] == [2] * (len(turns.per_batch) - 1) and 1 <= turns.per_batch[-1] <= 2
    assert len(turns.per_batch) == -(-total // 2)
    assert trainer.global_step == -(-len(turns.per_batch) // 2)  # the last, partial update is taken


def test_turns_as_update_unit_needs_a_batch_size():
    from tcod_pl.envs import ScienceWorldConfig
    from tcod_pl.errors import ConfigError
    from tcod_pl.rollout.datamodule import RolloutDataModule

    with pytest.raises(ConfigError, match="batch_size"):
        RolloutDataModule(env=ScienceWorldConfig(), batch_unit="turns")
    with pytest.raises(ConfigError, match="batch_unit"):
        RolloutDataModule(env=ScienceWorldConfig(), batch_unit="tokens", batch_size=4)
