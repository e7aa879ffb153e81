"""Writes that a kill or a full disk cannot half-do: temporary file, fsync, rename."""

from __future__ import annotations

import errno
import io
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import lightning.pytorch as pl
import torch
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO
from lightning.pytorch.utilities import rank_zero_warn

# The errors that mean "this folder cannot take the file", not a bug: the run stops in one line.
STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EFBIG}


class StorageError(RuntimeError):
    """A write failed for lack of space or permission; the file it replaces is untouched."""

    def __init__(self, path: Path, err: OSError, needed: int | None = None):
        self.path, self.err, self.needed = path, err, needed
        folder = path.parent
        free = _free_bytes(folder)
        sizes = ", ".join(
            s
            for s in (
                f"needs {_mb(needed)}" if needed is not None else "",
                f"{_mb(free)} free" if free is not None else "",
            )
            if s
        )
        super().__init__(
            f"cannot write {path.name} in {folder} ({os.strerror(err.errno) if err.errno else err}{'; ' + sizes if sizes else ''})"
        )


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 2**10:.0f} KB"


def _free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def write_bytes(handle: BinaryIO, data: bytes) -> None:
    """The one place bytes reach the disk (tests simulate a full disk here)."""
    handle.write(data)


def atomic_write(path: str | os.PathLike, fill: Callable[[BinaryIO], None] | bytes) -> None:
    """Write ``path`` whole or not at all: a sibling temporary file, fsync, ``os.replace``.

    A kill at any moment leaves the previous file (if any) as it was; a full disk raises
    :class:`StorageError` after removing the partial temporary file.
    """
    path = Path(path)
    data = fill if isinstance(fill, bytes) else None
    if data is None:
        buffer = io.BytesIO()
        fill(buffer)
        data = buffer.getvalue()
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as handle:
            write_bytes(handle, data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        if err.errno in STORAGE_ERRNOS:
            raise StorageError(path, err, len(data)) from err
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write(path, text.encode("utf-8"))


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk (POSIX; a no-op elsewhere).
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning's ``torch.save`` checkpoints, written by :func:`atomic_write`."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: str | os.PathLike, storage_options: Any | None = None
    ) -> None:
        if storage_options is not None:
            raise TypeError("AtomicCheckpointIO takes no storage_options")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda handle: torch.save(checkpoint, handle))


def storage_error(err: BaseException) -> StorageError | None:
    """The storage fault behind ``err`` (raised by a writer, or an OSError of one), if any."""
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, StorageError):
            return err
        # Raw OSErrors only for a full disk: a permission error elsewhere may be a read.
        if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT) and err.filename:
            return StorageError(Path(err.filename), err)
        err = err.__cause__ or err.__context__
    return None


class FreeSpaceCheck(pl.Callback):
    """Warn once before the first step when the checkpoint folder cannot hold two checkpoints."""

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        folder = getattr(trainer.checkpoint_callback, "dirpath", None)
        if not folder or not trainer.is_global_zero:
            return
        teacher = getattr(pl_module, "teacher", None)
        frozen = {id(p) for p in teacher.parameters()} if isinstance(teacher, torch.nn.Module) else set()
        weights = sum(p.numel() * p.element_size() for p in pl_module.parameters() if id(p) not in frozen)
        trained = sum(p.numel() * 4 for p in pl_module.parameters() if p.requires_grad)
        needed = weights + 2 * trained  # the weights and two fp32 Adam moments of what trains
        path = Path(folder)
        while not path.exists() and path != path.parent:
            path = path.parent
        free = _free_bytes(path)
        if free is not None and free < 2 * needed:
            rank_zero_warn(
                f"the checkpoint folder {folder} has {_mb(free)} free and a checkpoint takes about "
                f"{_mb(needed)}: it cannot hold two (a full disk stops the run; the previous checkpoint stays whole)"
            )
