"""The entry points silence the specific harmless messages, and only those."""

import logging
import os
import warnings

import pytest

from tcod_pl.quiet import RANK_ZERO_LOGGERS, quiet_known_noise

HARMLESS = (
    "`isinstance(treespec, LeafSpec)` is deprecated, use `isinstance(treespec, TreeSpec)` instead.",
    "Your `IterableDataset` has `__len__` defined. In combination with multi-process data loading ...",
    "Found 33 module(s) in eval mode at the start of training. This may lead to unexpected behavior.",
    "It is recommended to use `self.log('kl/turn_09', ..., sync_dist=True)` when logging on epoch level"
    " in distributed setting to accumulate the metric across devices.",
)


@pytest.fixture
def restore_loggers():
    names = (*RANK_ZERO_LOGGERS, "lightning.fabric.utilities.seed")
    saved = {n: (logging.getLogger(n).level, list(logging.getLogger(n).filters)) for n in names}
    for name in names:  # start from the libraries' defaults, whatever an earlier test (the demo) set
        logging.getLogger(name).setLevel(logging.NOTSET)
    yield
    for name, (level, filters) in saved.items():
        logging.getLogger(name).setLevel(level)
        logging.getLogger(name).filters[:] = filters


def test_known_warnings_are_silenced_and_others_are_not(restore_loggers):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet_known_noise()
        for message in HARMLESS:
            warnings.warn(message, UserWarning, stacklevel=1)
        warnings.warn("something the user must see", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["something the user must see"]


def test_transformers_loading_bars_off(restore_loggers):
    from transformers.utils import logging as hf_logging

    was = hf_logging.is_progress_bar_enabled()
    try:
        hf_logging.enable_progress_bar()
        quiet_known_noise()
        assert not hf_logging.is_progress_bar_enabled()
    finally:
        (hf_logging.enable_progress_bar if was else hf_logging.disable_progress_bar)()


def test_lightning_tips_dropped_info_kept_unless_asked(restore_loggers, caplog):
    from lightning.pytorch.utilities.rank_zero import rank_zero_info

    quiet_known_noise()
    with caplog.at_level(logging.INFO):
        rank_zero_info("💡 Tip: For seamless cloud logging, try installing litlogger")
        rank_zero_info("GPU available: False, used: False")
    assert [r.getMessage() for r in caplog.records] == ["GPU available: False, used: False"]
    caplog.clear()
    quiet_known_noise(lightning_info=False)  # the demo: progress bars and its summary only
    rank_zero_info("GPU available: False, used: False")
    assert not [r for r in caplog.records if r.levelno < logging.WARNING]


def test_demo_mode_quiets_vllm_info_unless_the_user_set_a_level(restore_loggers, monkeypatch):
    monkeypatch.delenv("VLLM_LOGGING_LEVEL", raising=False)
    quiet_known_noise()
    assert "VLLM_LOGGING_LEVEL" not in os.environ  # `tcod-pl` keeps vLLM's engine messages
    quiet_known_noise(lightning_info=False)
    assert os.environ["VLLM_LOGGING_LEVEL"] == "WARNING"
    monkeypatch.setenv("VLLM_LOGGING_LEVEL", "DEBUG")
    quiet_known_noise(lightning_info=False)
    assert os.environ["VLLM_LOGGING_LEVEL"] == "DEBUG"
