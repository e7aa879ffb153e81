"""Storage faults: a full disk during a checkpoint write is one line (exit 4) and loses nothing; a
kill -9 during a write never leaves a checkpoint that does not load; a corrupt JSONL line is one
error naming file and line."""

import errno
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from tcod_pl import storage
from tcod_pl.cli import main
from tcod_pl.data.episode import load_episodes
from tcod_pl.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def full_disk_after(monkeypatch, writes: int) -> list[str]:
    """Let ``writes`` files through, then every write fails as on a full disk."""
    seen: list[str] = []
    real = storage.write_bytes

    def write(handle, data):
        seen.append(Path(handle.name).name)
        if len(seen) > writes:
            raise OSError(errno.ENOSPC, "No space left on device", handle.name)
        real(handle, data)

    monkeypatch.setattr(storage, "write_bytes", write)
    return seen


def test_a_full_disk_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "summary.json"
    storage.atomic_write_text(target, "old")
    full_disk_after(monkeypatch, 0)
    with pytest.raises(storage.StorageError, match="No space left on device; needs 3 KB"):
        storage.atomic_write_text(target, "new" * 1000)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def fit(root: Path, *extra: str) -> None:
    main(
        [
            "fit",
            *("--model", "lightning.pytorch.demos.boring_classes.BoringModel"),
            *("--data", "lightning.pytorch.demos.boring_classes.BoringDataModule"),
            *("--trainer.max_epochs", "3", "--trainer.limit_train_batches", "2"),
            *("--trainer.limit_val_batches", "0", "--trainer.enable_progress_bar", "false"),
            *("--trainer.logger", "false", "--trainer.default_root_dir", str(root)),
            *("--checkpoint.dirpath", str(root / "ck")),
            *extra,
        ]
    )


def test_full_disk_during_a_checkpoint_is_one_line_then_resume_is_exact(tmp_path, monkeypatch, capsys):
    fit(tmp_path / "whole")
    whole = torch.load(tmp_path / "whole" / "ck" / "last.ckpt", weights_only=True)

    run = tmp_path / "run"
    seen = full_disk_after(monkeypatch, 2)  # step 1's two checkpoints, then the disk is full
    with pytest.raises(SystemExit) as stop:
        fit(run)
    assert stop.value.code == 4
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    errors = [ln for ln in err if ln.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in "\n".join(err), err
    assert "No space left on device" in errors[0] and f"{run / 'ck' / 'last.ckpt'} is whole" in errors[0]
    assert "--ckpt_path last" in errors[0] and seen[2].startswith(".epoch=1"), (errors, seen)
    assert not [p for p in (run / "ck").iterdir() if ".tmp-" in p.name]
    assert torch.load(run / "ck" / "last.ckpt", weights_only=True)["epoch"] == 0

    monkeypatch.undo()  # space freed
    fit(run, "--ckpt_path", "last")
    resumed = torch.load(run / "ck" / "last.ckpt", weights_only=True)
    assert resumed["epoch"] == whole["epoch"] == 2
    for key, value in whole["state_dict"].items():
        assert torch.equal(value, resumed["state_dict"][key]), key


WRITER = """
import sys, torch
from tcod_pl.storage import AtomicCheckpointIO
io, n = AtomicCheckpointIO(), 0
while True:
    n += 1
    io.save_checkpoint({"step": n, "w": torch.full((2_000_000,), float(n))}, sys.argv[1])
    print(n, flush=True)
"""


def test_kill_9_during_checkpoint_writes_never_leaves_a_broken_checkpoint(tmp_path):
    path = tmp_path / "last.ckpt"
    rng = random.Random(0)
    for attempt in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], cwd=REPO, stdout=subprocess.PIPE, text=True
        )
        if attempt:  # the first try dies at once, maybe mid-way through the first write
            proc.stdout.readline()
        time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if path.exists():
            checkpoint = torch.load(path, weights_only=True)
            assert torch.all(checkpoint["w"] == float(checkpoint["step"])), attempt
    assert path.exists()


def test_a_corrupt_episode_line_names_its_file_and_line(tmp_path):
    good = {"task": {"env": "scienceworld", "task": "find-animal", "variation": 0}, "turns": []}
    path = tmp_path / "expert-train.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(good)[:40] + "\n")
    with pytest.raises(ConfigError, match=rf"{path}:2 is not an episode \(JSONDecodeError"):
        load_episodes(path)
