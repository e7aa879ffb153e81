"""`tcod-pl fit` / `test` with online rollouts on the real ScienceWorld, through the real CLI."""

import json
import subprocess
import sys
from pathlib import Path

import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from tcod_pl.data.episode import load_episodes


def rollout_config(tmp_path: Path, tiny_models, curriculum: dict | None = None, **trainer) -> Path:
    cfg = {
        "model": {
            "class_path": "tcod_pl.modules.distill.DistillationModule",
            "init_args": {"student": str(tiny_models["student"]), "teacher": str(tiny_models["teacher"])},
        },
        "data": {
            "class_path": "tcod_pl.rollout.datamodule.RolloutDataModule",
            "init_args": {
                "env": {
                    "class_path": "tcod_pl.envs.ScienceWorldConfig",
                    "init_args": {"task_names": ["find-non-living-thing", "find-living-thing"]},
                },
                "episodes_per_step": 2,
                "max_turns": 3,
                "val_episodes": 4,
                "test_episodes": 2,
                "num_env_workers": 1,
                "policy": {
                    "class_path": "tcod_pl.rollout.policy.HFPolicy",
                    "init_args": {"max_new_tokens": 8},
                },
                "episodes_dir": str(tmp_path / "episodes"),
                "progress": False,
            },
        },
        "trainer": {
            "accelerator": "cpu",
            "max_epochs": 2,
            "num_sanity_val_steps": 0,
            "log_every_n_steps": 1,
            "enable_progress_bar": False,
            "logger": {
                "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
                "init_args": {"save_dir": str(tmp_path / "runs"), "name": "sw"},
            },
            **trainer,
        },
    }
    if curriculum is not None:
        cfg["curriculum"] = curriculum
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    out = subprocess.run(
        [sys.executable, "-m", "tcod_pl.cli", *args], capture_output=True, text=True, timeout=900, cwd=cwd
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out


def scalars(run_dir: Path) -> dict[str, list[float]]:
    acc = EventAccumulator(str(run_dir))
    acc.Reload()
    return {tag: [e.value for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def test_fit_two_epochs_then_test_on_checkpoint(tiny_models, tmp_path):
    config = rollout_config(tmp_path, tiny_models)
    cli("fit", "--config", str(config), cwd=tmp_path)
    run = tmp_path / "runs" / "sw" / "version_0"
    values = scalars(run)
    assert len(values["train/loss"]) == 2  # one update per rollout batch, two steps
    assert len(values["val/success"]) == 2 and 0.0 <= values["val/success"][-1] <= 1.0
    episodes = sorted((tmp_path / "episodes").glob("val-*.jsonl"))
    assert len(episodes) == 2
    last = load_episodes(episodes[-1])
    assert len(last) == 4
    expected_rounds = sum(e.rounds for e in last) / len(last)
    assert abs(values["val/rounds"][-1] - expected_rounds) < 1e-5
    # score = the best score reached in an episode (the reference's), final_score = at its end
    for e in last:
        assert e.score == max([t.score for t in e.turns], default=0.0)
        assert e.final_score == (e.turns[-1].score if e.turns else 0.0)
    assert abs(values["val/score"][-1] - sum(e.score for e in last) / len(last)) < 1e-4
    assert abs(values["val/final_score"][-1] - sum(e.final_score for e in last) / len(last)) < 1e-4
    assert "train/final_score" in values and "train/score" in values
    ckpt = sorted((run / "checkpoints").glob("*.ckpt"))[-1]
    cli("test", "--config", str(config), "--ckpt_path", str(ckpt), cwd=tmp_path)
    tested = scalars(tmp_path / "runs" / "sw" / "version_1")
    assert "test/success" in tested and "test/rounds" in tested


def test_ddp_two_processes_reduce_one_success_rate(tiny_models, tmp_path):
    # With a curriculum (k = 1 at step 1) and the KL monitor, whose per-turn sums are reduced over ranks.
    curriculum = {"mode": "f2b", "schedule": {"class_path": "tcod_pl.curriculum.Linear"}}
    monitor = {"class_path": "callbacks.KLStabilityMonitor", "init_args": {"log_images_every": 0}}
    config = rollout_config(
        tmp_path, tiny_models, curriculum, strategy="ddp", devices=2, max_epochs=1, callbacks=[monitor]
    )
    cli("fit", "--config", str(config), cwd=tmp_path)
    ranks = sorted((tmp_path / "episodes").glob("val-step0001-rank*.jsonl"))
    assert [p.name[-11:] for p in ranks] == ["rank0.jsonl", "rank1.jsonl"]
    per_rank = [load_episodes(p) for p in ranks]
    assert [len(e) for e in per_rank] == [2, 2]  # the 4-episode panel, sharded
    tasks = [json.dumps(e.task, sort_keys=True) for eps in per_rank for e in eps]
    assert len(set(tasks)) == 4
    runs = list((tmp_path / "runs" / "sw").iterdir())
    assert len(runs) == 1  # rank 0 logs
    values = scalars(runs[0])
    everyone = [e for eps in per_rank for e in eps]
    assert len(values["val/success"]) == 1
    assert abs(values["val/rounds"][0] - sum(e.rounds for e in everyone) / 4) < 1e-5
    assert abs(values["val/success"][0] - sum(e.success for e in everyone) / 4) < 1e-5
    assert values["curriculum/depth"] == [1.0] and "kl/turn_00" in values
    trained = [
        e
        for p in sorted((tmp_path / "episodes").glob("train-step0001-rank*.jsonl"))
        for e in load_episodes(p)
    ]
    assert len(trained) == 4 and all(e.num_supervised <= 1 for e in trained)  # F2B at depth 1, both ranks
