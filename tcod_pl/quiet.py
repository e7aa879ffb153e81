"""Silence the library messages that a tcod-pl run cannot act on, and nothing else."""

from __future__ import annotations

import logging
import os
import warnings

# Lightning's rank-zero messages (tips, "GPU available", "`Trainer.fit` stopped") go through these.
RANK_ZERO_LOGGERS = ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero")

# (message regex, why it is harmless here)
HARMLESS_WARNINGS = (
    # Lightning's own pytree helper calls a torch API that torch deprecated; nothing for us to change.
    (r"`isinstance\(treespec, LeafSpec\)` is deprecated", "lightning internals"),
    # The rollout dataset is sized on purpose (an upper bound, see tcod_pl.rollout.datamodule)
    # and is always read in the main process.
    (r"Your `IterableDataset` has `__len__` defined", "sized rollout dataset"),
    # The frozen teacher is in eval mode by design.
    (r"Found \d+ module\(s\) in eval mode at the start of training", "frozen teacher"),
    # vLLM's in-process engine starts a one-process torch.distributed group, so Lightning takes a
    # single-device run for a distributed one; per-turn sums are all-reduced before they are logged.
    (r"It is recommended to use `self.log\(.*sync_dist=True\)`", "vLLM's one-process group"),
)


class _DropTips(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("💡 Tip")


def quiet_known_noise(lightning_info: bool = True) -> None:
    """Filter specific harmless warnings and Lightning's tips; called by the command-line entry points.

    ``lightning_info=False`` also hides Lightning's informational lines ("GPU available: ...",
    "Seed set to ...", "`Trainer.fit` stopped: ..."): the demo prints progress bars and its summary only.
    """
    for message, _why in HARMLESS_WARNINGS:
        warnings.filterwarnings("ignore", message=message)
    for name in RANK_ZERO_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropTips) for f in logger.filters):
            logger.addFilter(_DropTips())
        if not lightning_info:
            logger.setLevel(logging.WARNING)
    if not lightning_info:
        logging.getLogger("lightning.fabric.utilities.seed").setLevel(logging.WARNING)
        # vLLM reads its level when imported (lazily, with the engine): no INFO line per weight sync.
        os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")
    # Transformers draws a "Loading weights" bar for every model it loads (student, teacher,
    # each evaluation); nothing is downloaded at run time, so its bars carry no information.
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
