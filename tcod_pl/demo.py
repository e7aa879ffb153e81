"""The README's main command: distil the embedded ScienceWorld teacher into the student, offline.

    python -m tcod_pl.demo [tcod-pl overrides, e.g. --trainer.max_epochs 4]

Evaluates the teacher (cached) and the student on dev variations, trains with the config
(TCOD-F2B by default), evaluates again, prints a summary and writes it to the run's log dir.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import lightning.pytorch as pl

from tcod_pl.cli import TcodCLI
from tcod_pl.errors import ConfigError
from tcod_pl.modules.sft import SFTModule

DEFAULT_CONFIG = "configs/scienceworld.yaml"
METRICS = ("success", "score", "rounds", "invalid_rate")


def _metrics(trainer: pl.Trainer, stage: str = "val") -> dict[str, float]:
    found = trainer.callback_metrics
    return {k: float(found[f"{stage}/{k}"]) for k in METRICS if f"{stage}/{k}" in found}


def _teacher_key(teacher: str, dm: object) -> str:
    weights = Path(teacher) / "model.safetensors"
    stamp = (
        weights.read_bytes() if weights.is_file() and weights.stat().st_size < 64 << 20 else teacher.encode()
    )
    # The text of the tuple (env, split, ...) as before, so existing caches stay valid.
    rest = (dm.splits["val"], dm.eval_episodes["val"], dm.eval_temperature, dm.max_turns)
    settings = f"({', '.join([dm.env.cache_key(), *map(repr, rest)])})"
    return hashlib.sha256(stamp + settings.encode()).hexdigest()[:16]


def evaluate_teacher(teacher: str, datamodule: pl.LightningDataModule, cache_dir: Path) -> dict[str, float]:
    """Teacher dev metrics; cached, since the teacher never changes during distillation."""
    cache = cache_dir / f"teacher-eval-{_teacher_key(teacher, datamodule)}.json"
    if cache.is_file():
        return json.loads(cache.read_text())
    trainer = pl.Trainer(
        accelerator="cpu", devices=1, logger=False, enable_checkpointing=False, inference_mode=False
    )
    trainer.validate(SFTModule(teacher), datamodule=datamodule, verbose=False)
    result = _metrics(trainer)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(result))
    return result


class TokenKLHistory(pl.Callback):
    """The per-token KL(student || teacher) of each training step's rollouts, for the summary."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        value = trainer.callback_metrics.get("train/token_kl")
        if value is not None:
            self.values.append(float(value))


def _row(name: str, m: dict[str, float]) -> str:
    return (
        f"  {name:<20}{100 * m.get('success', 0):>10.1f}%{m.get('score', 0):>12.1f}{m.get('rounds', 0):>9.1f}"
    )


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--config" not in argv and "-c" not in argv:
        argv = ["--config", DEFAULT_CONFIG, *argv]
    start = time.time()
    try:
        cli = TcodCLI(args=argv, run=False)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    module, datamodule, trainer = cli.model, cli.datamodule, cli.trainer
    teacher = getattr(module.hparams, "teacher", None)
    if teacher is None:
        raise SystemExit("error: the demo distils a teacher: use a DistillationModule config")
    print(f"[1/4] teacher on dev ({teacher}) ...", flush=True)
    results = {"teacher": evaluate_teacher(teacher, datamodule, Path("artifacts") / "demo")}
    # Reseed: the teacher's evaluation is cached after the first run, and what it would have drawn
    # must not change the student's numbers on the next.
    seed = cli.config.get("seed_everything")
    if seed is not None and seed is not False:
        pl.seed_everything(int(seed), verbose=False)
    print("[2/4] student before distillation ...", flush=True)
    trainer.validate(module, datamodule=datamodule, verbose=False)
    results["student_before"] = _metrics(trainer)
    print(f"[3/4] distillation: {trainer.max_epochs} steps ...", flush=True)
    kl = TokenKLHistory()
    trainer.callbacks.append(kl)
    trainer.fit(module, datamodule=datamodule)
    if trainer.interrupted:
        raise SystemExit(1)
    print("[4/4] student after distillation ...", flush=True)
    results["student_after"] = _metrics(trainer)
    if not results["student_after"]:  # the config did not validate at the last step
        trainer.validate(module, datamodule=datamodule, verbose=False)
        results["student_after"] = _metrics(trainer)
    log_dir = trainer.log_dir or "runs"
    episodes = len(datamodule.eval_tasks("val"))
    summary = {
        "results": results,
        "token_kl": kl.values,
        "log_dir": log_dir,
        "minutes": (time.time() - start) / 60,
    }
    Path(log_dir).mkdir(parents=True, exist_ok=True)
    (Path(log_dir) / "summary.json").write_text(json.dumps(summary, indent=2))
    print(f"\nDev variations, {episodes} episodes, full depth, temperature {datamodule.eval_temperature}:")
    print(f"  {'':<20}{'success':>11}{'mean score':>12}{'rounds':>9}")
    for name, label in (
        ("teacher", "teacher"),
        ("student_before", "student before"),
        ("student_after", "student after"),
    ):
        print(_row(label, results[name]))
    if kl.values:
        # The quantity OPD minimises, on each step's own rollouts (under F2B later steps reach deeper
        # turns, so the two ends are not the same population; kl/turn_NN in TensorBoard is per turn).
        print(
            f"  per-token KL(student || teacher) on training rollouts: step 1 {kl.values[0]:.3f}"
            f" -> step {len(kl.values)} {kl.values[-1]:.3f}"
        )
    print(
        f"\nfinished in {summary['minutes']:.1f} min; inspect the run with:\n  tensorboard --logdir {log_dir}"
    )
    return results


if __name__ == "__main__":
    main()
