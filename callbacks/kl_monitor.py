"""KL-stability monitoring, usable with any schedule: per-turn KL, window statistics, images, hparams."""

from __future__ import annotations

import math
from typing import Any

import lightning.pytorch as pl
import numpy as np
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.loggers import TensorBoardLogger

from tcod_pl.curriculum import Curriculum
from tcod_pl.turn_stats import StepTurnStats, TurnKL


def window_stats(steps: list[float], values: list[float]) -> dict[str, float]:
    """Population std, coefficient of variation (std / |mean|) and least-squares slope per step."""
    x, y = np.asarray(steps, dtype=float), np.asarray(values, dtype=float)
    out = {"std": float(y.std())}
    mean = float(y.mean())
    if abs(mean) > 1e-12:
        out["cv"] = out["std"] / abs(mean)
    dx = x - x.mean()
    if float((dx * dx).sum()) > 0:
        out["slope"] = float((dx * (y - y.mean())).sum() / (dx * dx).sum())
    return out


class KLStabilityMonitor(Callback):
    """Logs, per training step (epoch), the KL signals TCOD reasons with.

    Scalars: ``kl/turn_{i:02d}`` (mean per-turn KL at turn index i, first ``max_turn_scalars``
    turns), ``kl/traj_mean`` (mean trajectory KL), ``support/turn_{i:02d}`` (teacher low-support
    rate), and over the last ``window`` steps the std, coefficient of variation and least-squares
    slope (per step) of the mean trajectory KL: ``kl/traj_window_{std,cv,slope}``.
    With a TensorBoardLogger, every ``log_images_every`` steps (0: never): a turn x step heatmap of
    the per-turn KL (``kl/by_turn_heatmap``) and a plot of val/success (``val/success_curve``).
    At fit end the run's key hyper-parameters are registered with its final metrics (TensorBoard
    HParams, written as the sub-run ``hparams`` of the logger's directory).
    The history is kept in checkpoints, so images continue after a resume.
    """

    def __init__(self, window: int = 10, max_turn_scalars: int = 32, log_images_every: int = 1):
        if window < 2:
            raise ValueError(f"KLStabilityMonitor: window must be >= 2 steps, got {window}")
        if max_turn_scalars < 0:
            raise ValueError(f"KLStabilityMonitor: max_turn_scalars must be >= 0, got {max_turn_scalars}")
        if log_images_every < 0:
            raise ValueError(f"KLStabilityMonitor: log_images_every must be >= 0, got {log_images_every}")
        self.window = window
        self.max_turn_scalars = max_turn_scalars
        self.log_images_every = log_images_every
        self.stats = StepTurnStats()
        self.history: dict[str, list[Any]] = {
            k: [] for k in ("step", "traj_kl", "kl_by_turn", "support_by_turn")
        }
        self.val_success: list[tuple[int, float]] = []

    # ----- per step ---------------------------------------------------------------------------------
    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.stats.reset()

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        self.stats.add(TurnKL.from_outputs(outputs))

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        value = trainer.callback_metrics.get("val/success")
        if trainer.sanity_checking or value is None:
            return
        step = trainer.current_epoch + 1
        self.val_success = [(s, v) for s, v in self.val_success if s != step] + [(step, float(value))]

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.stats.all_reduce(trainer.strategy, trainer.world_size)
        if self.stats.empty:
            return
        step = trainer.current_epoch + 1
        kl, support = self.stats.kl_by_turn(), self.stats.low_support_by_turn()
        traj = self.stats.traj_kl_mean()
        self._record(step, traj, kl, support)

        metrics = {f"kl/turn_{i:02d}": v for i, v in enumerate(kl[: self.max_turn_scalars])}
        metrics |= {f"support/turn_{i:02d}": v for i, v in enumerate(support[: self.max_turn_scalars])}
        metrics["kl/traj_mean"] = traj
        steps, trajs = self._finite_window()
        if len(trajs) >= 2:
            metrics |= {f"kl/traj_window_{k}": v for k, v in window_stats(steps, trajs).items()}
        for key, value in metrics.items():
            if math.isfinite(value):
                pl_module.log(key, value, on_step=False, on_epoch=True, batch_size=1)

        if self.log_images_every and step % self.log_images_every == 0:
            self._write_images(trainer, step)

    def _record(self, step: int, traj: float, kl: list[float], support: list[float]) -> None:
        h = self.history
        if step in h["step"]:  # a step re-run after a resume replaces its record
            i = h["step"].index(step)
            for key in h:
                del h[key][i]
        h["step"].append(step)
        h["traj_kl"].append(traj)
        h["kl_by_turn"].append(kl)
        h["support_by_turn"].append(support)

    def _finite_window(self) -> tuple[list[int], list[float]]:
        pairs = list(zip(self.history["step"], self.history["traj_kl"]))[-self.window :]
        pairs = [(s, v) for s, v in pairs if math.isfinite(v)]
        return [s for s, _ in pairs], [v for _, v in pairs]

    # ----- images -----------------------------------------------------------------------------------
    def _write_images(self, trainer: pl.Trainer, step: int) -> None:
        logger = trainer.logger
        if not isinstance(logger, TensorBoardLogger) or not trainer.is_global_zero:
            return
        writer = logger.experiment
        writer.add_image("kl/by_turn_heatmap", self.heatmap_image(), step, dataformats="HWC")
        if self.val_success:
            writer.add_image("val/success_curve", self.success_image(), step, dataformats="HWC")

    def heatmap_image(self) -> np.ndarray:
        """Mean per-turn KL, turn index (rows) by training step (columns), as an RGB array."""
        from matplotlib.figure import Figure

        rows = self.history["kl_by_turn"]
        turns = max((len(r) for r in rows), default=0)
        grid = np.full((max(turns, 1), len(rows)), np.nan)
        for j, row in enumerate(rows):
            grid[: len(row), j] = row
        steps = self.history["step"]
        fig = Figure(figsize=(6, 4), dpi=80)
        ax = fig.add_subplot()
        extent = (steps[0] - 0.5, steps[-1] + 0.5, -0.5, grid.shape[0] - 0.5) if steps else None
        im = ax.imshow(np.ma.masked_invalid(grid), aspect="auto", origin="lower", cmap="magma", extent=extent)
        fig.colorbar(im, ax=ax, label="mean per-turn KL")
        ax.set_xlabel("training step")
        ax.set_ylabel("turn index")
        ax.set_title("KL by turn over training")
        return _render(fig)

    def success_image(self) -> np.ndarray:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 3), dpi=80)
        ax = fig.add_subplot()
        ax.plot([s for s, _ in self.val_success], [v for _, v in self.val_success], marker="o")
        ax.set_xlabel("training step")
        ax.set_ylabel("val/success")
        ax.set_ylim(-0.02, 1.02)
        return _render(fig)

    # ----- hyper-parameters with final metrics ------------------------------------------------------
    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.logger is None or not trainer.is_global_zero:
            return
        params, metrics = self.run_hparams(trainer, pl_module), self.final_metrics(trainer)
        logger = trainer.logger
        if isinstance(logger, TensorBoardLogger):
            # TensorBoard keeps only the first HParams summary of a run, and Lightning writes one at
            # fit start (module hparams, hp_metric): so, like SummaryWriter.add_hparams, write a sub-run.
            logger.experiment.add_hparams(params, metrics, run_name="hparams")
            logger.hparams.update(params)
        else:
            logger.log_hyperparams(params)
            if metrics:
                logger.log_metrics(metrics, step=trainer.global_step)

    def run_hparams(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> dict[str, Any]:
        params: dict[str, Any] = {"curriculum/schedule": "none"}
        for cb in trainer.callbacks:
            if isinstance(cb, Curriculum):
                params |= cb.hparams()
        loss = getattr(pl_module, "loss_fn", None)
        if loss is not None:
            params["loss"] = type(loss).__name__
        if trainer.optimizers:  # the optimizer's configured learning rate (before any schedule)
            optimizer = trainer.optimizers[0]
            params["optimizer"] = type(optimizer).__name__
            params["learning_rate"] = optimizer.defaults.get("lr")
        if getattr(pl_module, "support_threshold", None) is not None:
            params["support_threshold"] = pl_module.support_threshold
        dm = trainer.datamodule
        for key in ("episodes_per_step", "batch_size", "max_turns"):
            if isinstance(getattr(dm, key, None), int | float | str):
                params[f"data/{key}"] = getattr(dm, key)
        params["monitor/window"] = self.window
        # TensorBoard HParams accepts numbers, strings and bools only.
        return {k: v if isinstance(v, int | float | str | bool) else str(v) for k, v in params.items()}

    def final_metrics(self, trainer: pl.Trainer) -> dict[str, float]:
        out: dict[str, float] = {}
        if self.history["traj_kl"]:
            out["hp/final_traj_kl"] = self.history["traj_kl"][-1]
        steps, trajs = self._finite_window()
        if len(trajs) >= 2:
            out |= {f"hp/final_traj_window_{k}": v for k, v in window_stats(steps, trajs).items()}
        if self.val_success:
            out["hp/final_val_success"] = self.val_success[-1][1]
            out["hp/best_val_success"] = max(v for _, v in self.val_success)
        for key in ("val/score", "val/rounds", "val/invalid_rate"):
            if key in trainer.callback_metrics:
                out[f"hp/final_{key.split('/')[1]}"] = float(trainer.callback_metrics[key])
        return {k: float(v) for k, v in out.items() if math.isfinite(v)}

    # ----- checkpoints ------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"history": self.history, "val_success": self.val_success}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.history = {k: list(v) for k, v in state_dict["history"].items()}
        self.val_success = [(int(s), float(v)) for s, v in state_dict["val_success"]]


def _render(fig: Any) -> np.ndarray:
    """Draw a matplotlib Figure off-screen (Agg; no pyplot global state) into an RGB array."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()
