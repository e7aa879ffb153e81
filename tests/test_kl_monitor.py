"""KLStabilityMonitor through a real Trainer; TensorBoard event files read back with tensorboard's reader."""

from __future__ import annotations

import statistics

import lightning.pytorch as pl
import numpy as np
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2
from torch import nn
from torch.utils.data import DataLoader

from callbacks import CurriculumCallback, KLStabilityMonitor, Linear
from callbacks.kl_monitor import window_stats
from tcod_pl.curriculum import find_curriculum
from tcod_pl.turn_stats import OUTPUT_KEY, ByTurn, TurnKL

# Per-epoch scale of the per-turn KL: the trajectory KL wobbles, then escalates.
SCALE = [1.0, 1.5, 1.2, 2.0, 3.5, 3.0, 5.0]
TURNS = 4
KL_BY_TURN = [0.5, 1.0, 1.5, 2.0]  # mean per-turn KL at scale 1 (rises with the turn index)


class ScriptedKLModule(pl.LightningModule):
    """training_step returns outputs shaped like DistillationModule's, with scripted KL values."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.loss_fn = nn.Identity()  # stands in for the distillation loss (its class is recorded)

    def training_step(self, batch, batch_idx):
        s = SCALE[self.current_epoch]
        # Two episodes of TURNS turns; per-turn KL of episode 2 is 2x episode 1's -> mean 1.5x.
        turn_kl = torch.tensor([[k * s, 2 * k * s] for k in KL_BY_TURN])  # [turn, episode]
        by_turn = ByTurn(
            kl_sum=turn_kl.sum(1),
            kl_count=torch.full((TURNS,), 2.0),
            low_support_sum=torch.arange(TURNS, dtype=torch.float32),
            tokens=torch.full((TURNS,), 10.0),
        )
        stats = TurnKL(turn_kl.flatten(), turn_kl.sum(0), by_turn, low_support=torch.tensor(0.0))
        return {"loss": ((self.w - 1.0) ** 2).sum(), OUTPUT_KEY: stats}

    def validation_step(self, batch, batch_idx):
        self.log("val/success", 0.1 * (self.current_epoch + 1), batch_size=1)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


class AskingData(pl.LightningDataModule):
    """One batch per epoch; asks the curriculum for the step's depth rule, as rollouts do."""

    max_turns = 30
    episodes_per_step = 2

    def train_dataloader(self):
        return DataLoader(self, batch_size=1)

    def __len__(self):
        return 1

    def __getitem__(self, index):
        self.rule = find_curriculum(self.trainer).rule(self.max_turns)
        return torch.zeros(1)

    def val_dataloader(self):
        return DataLoader([torch.zeros(1)], batch_size=1)


def fit(tmp_path, epochs: int, ckpt_path=None, window: int = 3, logger=None):
    monitor = KLStabilityMonitor(window=window, log_images_every=1)
    trainer = pl.Trainer(
        max_epochs=epochs,
        accelerator="cpu",
        logger=logger or TensorBoardLogger(tmp_path / "runs", name="kl", version=0),
        log_every_n_steps=1,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        callbacks=[
            CurriculumCallback(Linear(k_start=1, eta=2), mode="b2f"),
            monitor,
            ModelCheckpoint(dirpath=tmp_path / "ckpt", save_last=True),
        ],
    )
    trainer.fit(ScriptedKLModule(), datamodule=AskingData(), ckpt_path=ckpt_path)
    return trainer, monitor


def read_events(path) -> EventAccumulator:
    acc = EventAccumulator(str(path), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def series(acc: EventAccumulator, tag: str) -> list[tuple[int, float]]:
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def test_monitor_writes_scalars_window_stats_images_and_hparams(tmp_path):
    trainer, monitor = fit(tmp_path, epochs=6)
    log_dir = trainer.logger.log_dir
    acc = read_events(log_dir)
    scalars = set(acc.Tags()["scalars"])
    turn_tags = {f"kl/turn_{i:02d}" for i in range(TURNS)} | {f"support/turn_{i:02d}" for i in range(TURNS)}
    window_tags = {"kl/traj_window_std", "kl/traj_window_cv", "kl/traj_window_slope"}
    assert turn_tags | window_tags | {"kl/traj_mean", "curriculum/depth"} <= scalars
    assert {"kl/by_turn_heatmap", "val/success_curve"} <= set(acc.Tags()["images"])
    assert len(acc.Images("kl/by_turn_heatmap")) == 6

    # Per-turn KL at turn i is the mean over both episodes: 1.5 * KL_BY_TURN[i] * scale.
    turn3 = [v for _, v in series(acc, "kl/turn_03")]
    assert turn3 == pytest.approx([1.5 * KL_BY_TURN[3] * s for s in SCALE[:6]])
    assert [v for _, v in series(acc, "support/turn_02")] == pytest.approx([0.2] * 6)

    # Window statistics equal an independent computation over the logged trajectory KL.
    traj = series(acc, "kl/traj_mean")
    assert [v for _, v in traj] == pytest.approx([1.5 * sum(KL_BY_TURN) * s for s in SCALE[:6]])
    slopes, stds, cvs = (dict(series(acc, f"kl/traj_window_{k}")) for k in ("slope", "std", "cv"))
    assert len(slopes) == 5  # from the second step on
    for i in range(1, len(traj)):
        window = traj[max(0, i - 2) : i + 1]
        x, y = [s for s, _ in window], [v for _, v in window]
        step = traj[i][0]
        assert slopes[step] == pytest.approx(np.polyfit(x, y, 1)[0], rel=1e-5)
        assert stds[step] == pytest.approx(statistics.pstdev(y), rel=1e-5)
        assert cvs[step] == pytest.approx(statistics.pstdev(y) / statistics.fmean(y), rel=1e-5)

    # HParams: a sub-run holding the run's key parameters and its final metrics.
    hp = read_events(f"{log_dir}/hparams")
    content = hp.SummaryMetadata("_hparams_/session_start_info").plugin_data.content
    start = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
    params = {k: (v.string_value or v.number_value) for k, v in start.hparams.items()}
    assert params["curriculum/schedule"] == "Linear" and params["curriculum/mode"] == "b2f"
    assert (
        params["schedule/eta"] == 2
        and params["learning_rate"] == 0.1
        and params["optimizer"] == "SGD"
        and params["loss"] == "Identity"
    )
    assert params["data/max_turns"] == 30 and params["data/episodes_per_step"] == 2
    final = dict(series(hp, "hp/final_traj_kl"))
    assert list(final.values()) == pytest.approx([traj[-1][1]])
    assert dict(series(hp, "hp/final_val_success")) and "hp/final_traj_window_slope" in hp.Tags()["scalars"]


def test_monitor_history_survives_resume(tmp_path):
    fit(tmp_path, epochs=3)
    trainer, monitor = fit(tmp_path, epochs=6, ckpt_path="last")
    assert monitor.history["step"] == [1, 2, 3, 4, 5, 6]
    assert [s for s, _ in monitor.val_success] == [1, 2, 3, 4, 5, 6]
    acc = read_events(trainer.logger.log_dir)
    assert [e.step for e in acc.Images("kl/by_turn_heatmap")] == [1, 2, 3, 4, 5, 6]


def test_monitor_without_tensorboard_skips_images(tmp_path):
    trainer, monitor = fit(tmp_path, epochs=2, logger=CSVLogger(tmp_path / "csv"))
    assert "kl/turn_00" in trainer.callback_metrics and monitor.history["step"] == [1, 2]


def test_window_stats_and_invalid_parameters():
    stats = window_stats([1, 2, 3, 4], [1.0, 3.0, 5.0, 7.0])
    assert stats["slope"] == pytest.approx(2.0) and stats["std"] == pytest.approx(
        statistics.pstdev([1, 3, 5, 7])
    )
    assert "cv" not in window_stats([1, 2], [-1.0, 1.0])
    with pytest.raises(ValueError, match="window"):
        KLStabilityMonitor(window=1)
    with pytest.raises(ValueError, match="log_images_every"):
        KLStabilityMonitor(log_images_every=-1)


def test_monitor_with_the_real_distillation_module(tiny_models, episodes_file, tmp_path):
    from tcod_pl.data.episode_datamodule import EpisodeDataModule
    from tcod_pl.modules.distill import DistillationModule

    module = DistillationModule(student=str(tiny_models["student"]), teacher=str(tiny_models["teacher"]))
    data = EpisodeDataModule(train_file=str(episodes_file), batch_size=3)
    monitor = KLStabilityMonitor(window=2)
    trainer = pl.Trainer(
        max_epochs=2,
        accelerator="cpu",
        logger=TensorBoardLogger(tmp_path / "runs", name="distill", version=0),
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[monitor],
    )
    trainer.fit(module, datamodule=data)
    acc = read_events(trainer.logger.log_dir)
    assert {"kl/turn_00", "kl/turn_02", "kl/traj_mean", "kl/traj_window_slope"} <= set(acc.Tags()["scalars"])
    assert "kl/by_turn_heatmap" in acc.Tags()["images"]
    assert len(monitor.history["kl_by_turn"][0]) == 3  # synthetic episodes have 3 turns
