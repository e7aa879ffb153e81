"""FSDP2 on 2 CPU ranks (gloo, real processes, the real CLI): the student and the in-process
teacher sharded by decoder layer, rollouts from the gathered student, one-file checkpoints.

FSDP's reduce-scatter and DDP's all-reduce average the same gradients, and the rollouts are
seeded by (stage, step, rank): a sharded run must play the same tokens and reach the same
weights as a replicated one, and a sharded run resumed from its checkpoint must too.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from test_rollout_cli import cli, rollout_config, scalars
from transformers import AutoModelForCausalLM

from tcod_pl.data.episode import load_episodes

FSDP = {"class_path": "tcod_pl.strategies.FSDP2Strategy"}


def run(tmp_path: Path, tiny_models, strategy, epochs: int, uneven: bool = False) -> Path:
    tmp_path.mkdir()
    config = rollout_config(tmp_path, tiny_models, strategy=strategy, devices=2, max_epochs=epochs)
    cfg = yaml.safe_load(config.read_text())
    # a learning rate at which a gradient that differs shows in the weights
    cfg["model"]["init_args"]["optimizer"] = {"class_path": "torch.optim.AdamW", "init_args": {"lr": 0.02}}
    if uneven:  # 3 validation episodes, one per batch: shards of 2 and 1, so a sharded run's short
        # rank needs a filler (every forward of a sharded student is a collective: else a hang)
        cfg["data"]["init_args"].update(val_episodes=3, batch_size=1)
    config.write_text(yaml.safe_dump(cfg))
    cli("fit", "--config", str(config), cwd=tmp_path)
    return config


def last(root: Path) -> dict:
    [ckpt] = (root / "runs" / "sw").glob("version_*/checkpoints/last.ckpt")
    return torch.load(ckpt, weights_only=True, map_location="cpu")


def tokens(root: Path, name: str) -> list[list[int]]:
    lines = (root / "episodes" / name).read_text().splitlines()
    return [t["response_ids"] for line in lines for t in json.loads(line)["turns"]]


@pytest.fixture(scope="module")
def ddp(tiny_models, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ddp") / "run"
    run(root, tiny_models, "ddp", epochs=2)
    return root


@pytest.fixture(scope="module")
def ddp_uneven(tiny_models, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ddp_uneven") / "run"
    run(root, tiny_models, "ddp", epochs=2, uneven=True)
    return root


def test_sharded_run_and_its_resume_equal_the_replicated_run(ddp, tiny_models, tmp_path):
    root = tmp_path / "fsdp"
    config = run(root, tiny_models, FSDP, epochs=1)
    cli("fit", "--config", str(config), "--trainer.max_epochs", "2", "--ckpt_path", "last", cwd=root)

    sharded, replicated = last(root), last(ddp)
    assert sharded["global_step"] == replicated["global_step"] == 2
    # one file, the full student (a plain module loads it), no teacher
    assert sharded["state_dict"].keys() == replicated["state_dict"].keys()
    assert not any(k.startswith("teacher.") for k in sharded["state_dict"])
    initial = AutoModelForCausalLM.from_pretrained(tiny_models["student"]).state_dict()
    moved = 0.0
    for key, value in replicated["state_dict"].items():
        assert sharded["state_dict"][key].shape == value.shape
        torch.testing.assert_close(sharded["state_dict"][key], value, rtol=1e-5, atol=1e-6)
        moved = max(moved, (value - initial[key.removeprefix("student.")]).abs().max().item())
    assert moved > 1e-3  # the runs trained: the equality is not of two untouched students
    # the optimizer state is whole too: Adam's moments of every parameter
    assert len(sharded["optimizer_states"][0]["state"]) == len(replicated["optimizer_states"][0]["state"])
    for rank in (0, 1):
        for step in (1, 2):  # step 2's rollouts come from the resumed, re-gathered student
            name = f"train-step{step:04d}-rank{rank}.jsonl"
            assert tokens(root, name) == tokens(ddp, name), name


@pytest.mark.parametrize("shard_size", [None, 1], ids=["full", "hybrid"])
def test_sharding_on_uneven_panels_equals_the_replicated_run(shard_size, ddp_uneven, tiny_models, tmp_path):
    """Evaluation panels of 2 and 1 episodes, one per batch, 2 updates a step; shard_size 1 on 2
    ranks is a (replicate 2, shard 1) mesh, HSDP's layout on 2 nodes of 1 GPU."""
    root = tmp_path / "sharded"
    run(root, tiny_models, {**FSDP, "init_args": {"shard_size": shard_size}}, epochs=2, uneven=True)
    sharded, replicated = last(root), last(ddp_uneven)
    assert sharded["global_step"] == replicated["global_step"] == 4
    for key, value in replicated["state_dict"].items():
        torch.testing.assert_close(sharded["state_dict"][key], value, rtol=1e-5, atol=1e-6)
    assert tokens(root, "train-step0002-rank1.jsonl") == tokens(ddp_uneven, "train-step0002-rank1.jsonl")
    # the panel's figures are its 3 episodes' own: the filler counted nothing
    values = scalars(next((root / "runs" / "sw").iterdir()))
    files = sorted((root / "episodes").glob("val-*-rank0.jsonl"))
    assert len(files) == len(values["val/score"]) == 2
    for path, score, rounds in zip(files, values["val/score"], values["val/rounds"]):
        panel = load_episodes(path) + load_episodes(path.with_name(path.name.replace("rank0", "rank1")))
        assert len(panel) == 3
        assert score == pytest.approx(sum(e.score for e in panel) / 3)
        assert rounds == pytest.approx(sum(e.rounds for e in panel) / 3)


def test_shard_size_that_does_not_divide_the_ranks_is_one_line(tiny_models, tmp_path):
    root = tmp_path / "bad"
    root.mkdir()
    config = rollout_config(
        root, tiny_models, strategy={**FSDP, "init_args": {"shard_size": 3}}, devices=2, max_epochs=1
    )
    out = subprocess.run(
        [sys.executable, "-m", "tcod_pl.cli", "fit", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=root,
    )
    assert out.returncode == 2, out.stderr[-2000:]
    assert "shard_size 3 must divide the 2 ranks" in out.stderr and "Traceback" not in out.stderr
