"""Resuming a run: find the newest checkpoint of a run across logger versions; carry RNG state.

Each ``tcod-pl fit`` opens a new TensorBoard ``version_N`` folder, and Lightning's ``ckpt_path="last"``
only looks in the new one. :func:`find_last_checkpoint` looks in every version of the run's name,
so the CLI can resume from it and log into that same version folder.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch
from lightning.pytorch.callbacks import Callback

LAST_PATTERN = re.compile(r"^last(-v\d+)?\.ckpt$")


def find_last_checkpoint(run_root: str | Path) -> tuple[Path, str] | None:
    """The newest ``last*.ckpt`` under ``<run_root>/<version>/checkpoints`` and its version folder's name."""
    root = Path(run_root)
    if not root.is_dir():
        return None
    found = [
        (ckpt.stat().st_mtime, ckpt, version.name)
        for version in root.iterdir()
        if (version / "checkpoints").is_dir()
        for ckpt in (version / "checkpoints").iterdir()
        if LAST_PATTERN.match(ckpt.name) and ckpt.is_file()
    ]
    if not found:
        return None
    _, ckpt, version = max(found)
    return ckpt, version


def version_value(folder: str) -> int | str:
    """The logger ``version`` argument that reopens ``folder`` (``version_3`` -> 3; other names as is)."""
    match = re.fullmatch(r"version_(\d+)", folder)
    return int(match.group(1)) if match else folder


class RNGState(Callback):
    """Saves the Python, NumPy and torch RNG states in every checkpoint and restores them on resume.

    Lightning seeds once at start-up; without this a resumed run would replay the seed's first draws
    (rollout sampling, dropout) instead of continuing the sequence the run was on.
    """

    def state_dict(self) -> dict[str, Any]:
        name, keys, pos, has_gauss, gauss = np.random.get_state()
        return {
            "python": random.getstate(),
            # Plain lists and numbers: checkpoints are loaded with weights_only=True, which refuses arrays.
            "numpy": [name, keys.tolist(), int(pos), int(has_gauss), float(gauss)],
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        version, internal, gauss = state_dict["python"]
        random.setstate((version, tuple(internal), gauss))
        name, keys, pos, has_gauss, cached = state_dict["numpy"]
        np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
        torch.set_rng_state(state_dict["torch"])
        if state_dict.get("cuda") and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state_dict["cuda"])


class TeacherFaultCheckpoint(Callback):
    """When a served teacher stops answering mid-step, write ``last.ckpt`` before the run ends.

    The step in progress cannot finish without the teacher; the checkpoint holds the state it
    began from (its finished updates too, under ``batch_unit: turns``), so ``--ckpt_path last``
    replays that step from its rollout at the same curriculum depth. With several processes the
    ranks cannot be gathered for a save once one has failed: the last periodic checkpoint stays
    the resume point. ``saved`` tells the CLI what was written.
    """

    def __init__(self) -> None:
        self.saved: str | None = None

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        from tcod_pl.errors import TeacherUnavailable

        checkpoint = trainer.checkpoint_callback
        if not isinstance(exception, TeacherUnavailable) or checkpoint is None or trainer.world_size > 1:
            return
        if trainer.state.fn != "fit" or not getattr(checkpoint, "dirpath", None):
            return
        path = Path(checkpoint.dirpath) / f"{checkpoint.CHECKPOINT_NAME_LAST}{checkpoint.FILE_EXTENSION}"
        trainer.save_checkpoint(path)
        self.saved = str(path)
