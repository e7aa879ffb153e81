"""The README's main command: distil the embedded ScienceWorld teacher into the student, offline.

    python -m tcod_pl.demo [tcod-pl overrides, e.g. --trainer.max_epochs 40]

Evaluates the teacher (cached) and the student on a fixed dev panel, trains with
``configs/scienceworld.yaml`` + ``configs/demo.yaml`` (TCOD-F2B; the demo's knobs are in the
latter), evaluates the panel every ``trainer.check_val_every_n_epoch`` steps and after the last,
prints a before/after summary (success, best score, rounds, invalid rate, copying rate, per-token
KL to the teacher on the panel's own episodes, by turn; success and best score by task type) and
writes it to the run's ``summary.json``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import statistics
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import lightning.pytorch as pl
from lightning.pytorch.trainer.states import TrainerFn

from tcod_pl.cli import TcodCLI, check_config_files, one_line_errors
from tcod_pl.data.episode import Episode
from tcod_pl.envs.base import TaskSpec
from tcod_pl.modules.sft import SFTModule
from tcod_pl.quiet import quiet_known_noise
from tcod_pl.storage import atomic_write_text

DEFAULT_CONFIGS = ("configs/scienceworld.yaml", "configs/demo.yaml")
# The panel's score column: the best score reached per episode (the reference's metric).
SCORE = "score"
# (key in the val/* metrics, column title, how to print it); success and rates are fractions.
COLUMNS = (
    ("success", "success", "{:.1%}"),
    (SCORE, "best score", "{:.1f}"),
    ("rounds", "rounds", "{:.1f}"),
    ("invalid_rate", "invalid", "{:.1%}"),
    ("copy_rate", "copying", "{:.1%}"),
    ("whitespace_token_rate", "blank tok", "{:.1%}"),
    ("empty_action_rate", "empty act", "{:.1%}"),
    ("token_kl", "token KL", "{:.3f}"),
    ("gold_kl", "gold KL", "{:.3f}"),  # logged by callbacks.GoldStateKL when configured
)
# The summary's rows: key in results / summary.json, printed label.
MODELS = (("teacher", "teacher"), ("student_before", "student before"), ("student_after", "student after"))
BY_TURN = re.compile(r"^val_token_kl/turn_(\d+)$")
# Bump when the teacher's cached metrics change meaning or gain keys.
CACHE_VERSION = "3"


def _metrics(trainer: pl.Trainer, stage: str = "val") -> dict[str, float]:
    """This stage's panel metrics (outcomes, response statistics, KL) from the last evaluation."""
    prefix = f"{stage}/"
    return {k[len(prefix) :]: float(v) for k, v in trainer.callback_metrics.items() if k.startswith(prefix)}


def _by_turn(trainer: pl.Trainer) -> list[float]:
    """Per-token KL at turn index 0..N of the last evaluation (NaN where no turn had that index)."""
    found = {
        int(m.group(1)): float(v) for k, v in trainer.callback_metrics.items() if (m := BY_TURN.match(k))
    }
    return [found.get(t, math.nan) for t in range(max(found) + 1)] if found else []


def by_task_type(datamodule: object) -> dict[str, dict[str, float]]:
    """The last panel's episodes, success and best score per task type (the environment's grouping)."""
    groups: dict[str, list[Episode]] = {}
    for episode in getattr(datamodule, "last_episodes", {}).get("val", []):
        kind = datamodule.env.task_type(TaskSpec.from_dict(episode.task))
        groups.setdefault(kind, []).append(episode)
    return {
        kind: {
            "episodes": len(episodes),
            "success": statistics.fmean(float(e.success) for e in episodes),
            SCORE: statistics.fmean(e.score for e in episodes),
        }
        for kind, episodes in sorted(groups.items())
    }


def _teacher_key(teacher: str, dm: object) -> str:
    weights = Path(teacher) / "model.safetensors"
    stamp = (
        weights.read_bytes() if weights.is_file() and weights.stat().st_size < 64 << 20 else teacher.encode()
    )
    # The text of the tuple (env, version, split, ...): CACHE_VERSION invalidates older caches.
    rest = (CACHE_VERSION, dm.splits["val"], dm.eval_episodes["val"], dm.eval_temperature, dm.eval_max_turns)
    settings = f"({', '.join([dm.env.cache_key(), *map(repr, rest)])})"
    return hashlib.sha256(stamp + settings.encode()).hexdigest()[:16]


@contextlib.contextmanager
def own_policy(datamodule: pl.LightningDataModule) -> Iterator[None]:
    """Rollouts of another model than the student (the teacher) through a policy of its own with
    the student's settings (with vLLM: a second engine for that architecture, shut down after)."""
    policy = datamodule.policy
    datamodule.policy = policy.unbound_copy()
    try:
        yield
    finally:
        datamodule.policy.close()
        datamodule.policy = policy


def evaluate_teacher(
    teacher: str, datamodule: pl.LightningDataModule, cache_dir: Path
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Teacher dev metrics and :func:`by_task_type`; cached, since the teacher never changes during
    distillation."""
    cache = cache_dir / f"teacher-eval-{_teacher_key(teacher, datamodule)}.json"
    if cache.is_file():
        cached = json.loads(cache.read_text())
        return cached["metrics"], cached["by_task"]
    trainer = pl.Trainer(
        accelerator="cpu", devices=1, logger=False, enable_checkpointing=False, inference_mode=False
    )
    with own_policy(datamodule):
        trainer.validate(SFTModule(teacher), datamodule=datamodule, verbose=False)
    result = {"metrics": _metrics(trainer), "by_task": by_task_type(datamodule)}
    cache.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(cache, json.dumps(result))
    return result["metrics"], result["by_task"]


class TokenKLHistory(pl.Callback):
    """The per-token KL(student || teacher) of each training step's rollouts, for the summary."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        value = trainer.callback_metrics.get("train/token_kl")
        if value is not None:
            self.values.append(float(value))


class TimeHistory(pl.Callback):
    """Where each training step's time went (the time/* metrics), summed over the run."""

    KEYS = ("rollout_s", "weight_sync_s", "teacher_s", "train_s")

    def __init__(self) -> None:
        self.totals = dict.fromkeys(self.KEYS, 0.0)
        self.steps = 0

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        rollout = getattr(trainer.datamodule, "last_rollout_metrics", {})
        for key in self.KEYS:
            value = trainer.callback_metrics.get(f"time/{key}", rollout.get(f"time/{key}"))
            self.totals[key] += float(value) if value is not None else 0.0
        self.steps += 1


class PanelHistory(pl.Callback):
    """Each panel evaluation's metrics and per-turn KL, printed as one line when it ends."""

    def __init__(self, split: str = "dev") -> None:
        self.split = split  # the panel's split, named in the printed line
        self.records: list[dict] = []

    def on_validation_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # Lightning keeps callback metrics across evaluations within a fit: a turn index reached by
        # an earlier panel but not by this one would otherwise show its stale value.
        for key in [k for k in trainer.callback_metrics if BY_TURN.match(k)]:
            del trainer.callback_metrics[key]

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        step = trainer.current_epoch + (1 if trainer.state.fn == TrainerFn.FITTING else 0)
        record = {
            "step": step,
            "metrics": _metrics(trainer),
            "token_kl_by_turn": _by_turn(trainer),
            "by_task": by_task_type(trainer.datamodule),
        }
        self.records.append(record)
        if trainer.is_global_zero:
            steps = f"{step} step{'s' if step != 1 else ''}"
            line = f"{self.split} panel after {steps}: " + _inline(record["metrics"])
            bar = trainer.progress_bar_callback
            bar.print(line) if bar is not None and trainer.state.fn == TrainerFn.FITTING else print(line)


def _finite(value: object) -> object:
    """NaN (nothing measured, e.g. no object list in the prompts) as JSON null, not the non-standard NaN."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _fmt(m: dict[str, float], key: str, fmt: str) -> str:
    value = m.get(key)
    return "-" if value is None or math.isnan(value) else fmt.format(value)


def _inline(m: dict[str, float]) -> str:
    return " | ".join(f"{title} {_fmt(m, key, fmt)}" for key, title, fmt in COLUMNS)


def _table(results: dict[str, dict[str, float]]) -> list[str]:
    width = 11
    lines = [f"  {'':<16}" + "".join(f"{title:>{width}}" for _, title, _ in COLUMNS)]
    for name, label in MODELS:
        m = results[name]
        lines.append(f"  {label:<16}" + "".join(f"{_fmt(m, k, f):>{width}}" for k, _, f in COLUMNS))
    return lines


def _change(before: dict[str, float], after: dict[str, float]) -> str:
    """After vs before in the terms of the demo's targets: points of success and score, KL in %."""
    parts = []
    if "success" in before and "success" in after:
        parts.append(f"success {100 * (after['success'] - before['success']):+.1f} points")
    if SCORE in before and SCORE in after:
        parts.append(f"best score {after[SCORE] - before[SCORE]:+.1f}")
    for key, title in (("token_kl", "token KL"), ("gold_kl", "gold KL")):
        kl_before, kl_after = before.get(key), after.get(key)
        if kl_before is not None and kl_after is not None and kl_before != 0:
            parts.append(
                f"{title} {kl_before:.3f} -> {kl_after:.3f} ({100 * (kl_after / kl_before - 1):+.0f}%)"
            )
    return "  student after vs before: " + ", ".join(parts)


def _by_turn_table(before: list[float], after: list[float], per_row: int = 15) -> list[str]:
    """Turns 0..N as columns, in blocks of ``per_row`` turns so that a 30-turn table stays narrow."""
    n = max(len(before), len(after))
    rows = {
        "before": [*before, *[math.nan] * (n - len(before))],
        "after": [*after, *[math.nan] * (n - len(after))],
    }
    lines = []
    for lo in range(0, n, per_row):
        turns = range(lo, min(n, lo + per_row))
        lines.append(f"  {'turn':<8}" + "".join(f"{t:>6}" for t in turns))
        for name, values in rows.items():
            lines.append(
                f"  {name:<8}" + "".join(f"{_fmt({'v': values[t]}, 'v', '{:.2f}'):>6}" for t in turns)
            )
    return lines


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    quiet_known_noise(lightning_info=False)
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--config" not in argv and "-c" not in argv:
        argv = [a for c in DEFAULT_CONFIGS for a in ("--config", c)] + argv
    with one_line_errors():  # bad input, divergence, preemption: one line, as `tcod-pl`
        check_config_files(argv)
        return _demo(argv)


def _task_table(by_task: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    """One row per task type: its episodes, then success / best score of each model."""
    kinds = sorted({kind for model in by_task.values() for kind in model})
    width = max(len("task type"), *map(len, kinds))
    lines = [f"  {'task type':<{width}} {'n':>3}" + "".join(f"{name:>17}" for name in by_task)]
    for kind in kinds:
        rows = [model.get(kind) for model in by_task.values()]
        n = next(r["episodes"] for r in rows if r)
        cells = [f"{r['success']:.1%} / {r[SCORE]:.1f}" if r else "-" for r in rows]
        lines.append(f"  {kind:<{width}} {n:>3}" + "".join(f"{c:>17}" for c in cells))
    return lines


def _demo(argv: list[str]) -> dict[str, dict[str, float]]:
    start = time.time()
    # The demo hands LightningCLI its own command line plus the default configs, on purpose.
    warnings.filterwarnings("ignore", message="LightningCLI's args parameter is intended")
    cli = TcodCLI(args=argv, run=False)
    module, datamodule, trainer = cli.model, cli.datamodule, cli.trainer
    teacher = getattr(module.hparams, "teacher", None)
    if teacher is None:
        raise SystemExit("error: the demo distils a teacher: use a DistillationModule config")
    if not isinstance(teacher, str):  # a Teacher (served, vLLM): its rollouts run from its weights
        teacher = module.teacher.weights()
        if teacher is None or not Path(teacher).is_dir():
            raise SystemExit(
                f"error: the demo evaluates the teacher as a policy from its weights, and {module.teacher.describe()}"
                " names no local model folder: serve a local path (vllm serve <folder>) or use an in-process teacher"
            )
    split = datamodule.splits["val"]
    print(f"[1/4] teacher on {split} ({teacher}) ...", flush=True)
    teacher_metrics, teacher_by_task = evaluate_teacher(teacher, datamodule, Path("artifacts") / "demo")
    results = {"teacher": teacher_metrics}
    # Reseed: the teacher's evaluation is cached after the first run, and what it would have drawn
    # must not change the student's numbers on the next.
    seed = cli.config.get("seed_everything")
    if seed is not None and seed is not False:
        pl.seed_everything(int(seed), verbose=False)
    panel, kl, clock = PanelHistory(split), TokenKLHistory(), TimeHistory()
    trainer.callbacks.extend([panel, kl, clock])
    print("[2/4] student before distillation ...", flush=True)
    trainer.validate(module, datamodule=datamodule, verbose=False)
    before = panel.records[-1]
    print(f"[3/4] distillation: {trainer.max_epochs} steps ...", flush=True)
    trainer.fit(module, datamodule=datamodule)
    if trainer.interrupted:
        raise SystemExit(1)
    print("[4/4] student after distillation ...", flush=True)
    if len(panel.records) == 1 or panel.records[-1]["step"] != trainer.current_epoch:
        # the config did not evaluate after the last step
        trainer.validate(module, datamodule=datamodule, verbose=False)
    after = panel.records[-1]
    results["student_before"], results["student_after"] = before["metrics"], after["metrics"]
    log_dir = trainer.log_dir or "runs"
    episodes = len(datamodule.eval_tasks("val"))
    summary = {
        "results": results,
        "panel_token_kl": {
            "before": before["metrics"].get("token_kl"),
            "after": after["metrics"].get("token_kl"),
        },
        "panel_token_kl_by_turn": {"before": before["token_kl_by_turn"], "after": after["token_kl_by_turn"]},
        "gold_kl": {"before": before["metrics"].get("gold_kl"), "after": after["metrics"].get("gold_kl")},
        "by_task": {
            "teacher": teacher_by_task,
            "student_before": before["by_task"],
            "student_after": after["by_task"],
        },
        "panel_history": panel.records,
        "token_kl": kl.values,
        "log_dir": log_dir,
        "minutes": (time.time() - start) / 60,
        "time_s": {**clock.totals, "steps": clock.steps},
    }
    Path(log_dir).mkdir(parents=True, exist_ok=True)
    atomic_write_text(Path(log_dir) / "summary.json", json.dumps(_finite(summary), indent=2))
    print(
        f"\n{split.capitalize()} panel: {episodes} episodes, full depth, temperature {datamodule.eval_temperature},"
        f" at most {datamodule.eval_max_turns} turns. best score: the best score reached in an episode,"
        " averaged; copying: actions naming an object the prompt listed; blank tok: whitespace-only"
        " tokens; token KL: per-token KL(student || teacher) on the panel's own episodes."
        + (
            " gold KL: per-token KL(teacher || student) on gold episodes (GoldStateKL's file, teacher-forced), the"
            " states that lead to success."
            if "gold_kl" in after["metrics"]
            else ""
        )
    )
    print("\n".join(_table(results)))
    print(_change(before["metrics"], after["metrics"]))
    if len(summary["by_task"]["teacher"]) > 1:
        # Where the student and the teacher part: a success the mean hides in one task type.
        print(f"\nSuccess / best score by task type on the {split} panel:")
        print("\n".join(_task_table({label: summary["by_task"][k] for k, label in MODELS})))
    if before["token_kl_by_turn"] or after["token_kl_by_turn"]:
        print("\nPer-token KL(student || teacher) on the panel's student episodes, by turn index:")
        print("\n".join(_by_turn_table(before["token_kl_by_turn"], after["token_kl_by_turn"])))
    if kl.values:
        # The quantity OPD minimises, on each step's own rollouts (under F2B later steps reach deeper
        # turns, so the two ends are not the same population; kl/turn_NN in TensorBoard is per turn).
        print(
            f"\nper-token KL(student || teacher) on training rollouts: step 1 {kl.values[0]:.3f}"
            f" -> step {len(kl.values)} {kl.values[-1]:.3f}"
        )
    if clock.steps:
        spent = ", ".join(
            f"{key.removesuffix('_s').replace('_', ' ')} {v:.0f} s" for key, v in clock.totals.items()
        )
        print(f"\ntraining steps' time ({clock.steps} steps, panels excluded): {spent}")
    print(
        f"\nfinished in {summary['minutes']:.1f} min; inspect the run with:\n  tensorboard --logdir {log_dir}"
    )
    return results


if __name__ == "__main__":
    main()
