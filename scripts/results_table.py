#!/usr/bin/env python
"""The README's results table: teacher, warm-start student, vanilla OPD, TCOD-F2B, TCOD-B2F.

Same number of training steps for every method, several seeds; dev success and mean score
(mean and spread over seeds), and the trajectory KL over the last steps. Also draws the
per-turn KL by turn index over training for vanilla OPD vs TCOD-F2B from the TensorBoard logs.

    .venv/bin/python scripts/results_table.py --steps 12 --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import lightning.pytorch as pl
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

from tcod_pl.cli import TcodCLI  # noqa: E402
from tcod_pl.demo import _metrics, evaluate_teacher  # noqa: E402
from tcod_pl.modules.sft import SFTModule  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
METHODS = {
    "vanilla OPD": "configs/curriculum/vanilla.yaml",
    "TCOD-F2B (eta=2)": "configs/curriculum/f2b.yaml",
    "TCOD-B2F (eta=2)": "configs/curriculum/b2f.yaml",
}


def run_method(name: str, curriculum: str, seed: int, args: argparse.Namespace) -> dict:
    save_dir = args.out / "runs"
    run_name = f"{name.split()[0].lower().replace('-', '_')}_seed{seed}"
    cli = TcodCLI(
        args=[
            "--config",
            str(REPO / "configs/scienceworld.yaml"),
            "--config",
            str(REPO / curriculum),
            "--seed_everything",
            str(seed),
            "--data.init_args.seed",
            str(seed),
            "--data.init_args.episodes_per_step",
            str(args.episodes_per_step),
            "--data.init_args.val_episodes",
            str(args.val_episodes),
            "--trainer.max_epochs",
            str(args.steps),
            "--trainer.check_val_every_n_epoch",
            str(args.steps),
            "--trainer.enable_progress_bar",
            "false",
            "--trainer.logger.init_args.save_dir",
            str(save_dir),
            "--trainer.logger.init_args.name",
            run_name,
            "--trainer.logger.init_args.version",
            "0",
        ],
        run=False,
    )
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    result = _metrics(cli.trainer)
    traj = scalars(save_dir / run_name / "version_0", "kl/traj_mean")
    last = [v for _, v in traj[-args.last :]]
    result["traj_kl_last_mean"] = statistics.fmean(last) if last else float("nan")
    result["traj_kl_last_std"] = statistics.pstdev(last) if len(last) > 1 else 0.0
    result["log_dir"] = str(save_dir / run_name / "version_0")
    return result


def baseline(model: str, seed: int, args: argparse.Namespace) -> dict:
    cli = TcodCLI(
        args=[
            "--config",
            str(REPO / "configs/scienceworld.yaml"),
            "--data.init_args.seed",
            str(seed),
            "--data.init_args.val_episodes",
            str(args.val_episodes),
        ],
        run=False,
    )
    pl.seed_everything(seed)
    path = cli.model.hparams.teacher if model == "teacher" else cli.model.hparams.student
    if model == "teacher":
        return evaluate_teacher(path, cli.datamodule, args.out / f"teacher-cache-seed{seed}")
    trainer = pl.Trainer(accelerator="cpu", logger=False, enable_checkpointing=False, inference_mode=False)
    trainer.validate(SFTModule(path), datamodule=cli.datamodule, verbose=False)
    return _metrics(trainer)


def scalars(run_dir: Path, tag: str) -> list[tuple[int, float]]:
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    return [(e.step, e.value) for e in acc.Scalars(tag)] if tag in acc.Tags()["scalars"] else []


def kl_by_turn(run_dir: Path) -> tuple[list[int], list[list[float]]]:
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    tags = sorted(t for t in acc.Tags()["scalars"] if t.startswith("kl/turn_"))
    steps = sorted({e.step for t in tags for e in acc.Scalars(t)})
    grid = [[float("nan")] * len(steps) for _ in tags]
    for i, t in enumerate(tags):
        for e in acc.Scalars(t):
            grid[i][steps.index(e.step)] = e.value
    return steps, grid


def picture(runs: dict[str, str], path: Path) -> None:
    """Side-by-side turn x step heatmaps on one colour scale, so the two methods compare directly."""
    data = {name: kl_by_turn(Path(run_dir)) for name, run_dir in runs.items()}
    turns = max(len(grid) for _, grid in data.values())
    vmax = max((v for _, grid in data.values() for row in grid for v in row if v == v), default=1.0)
    fig, axes = plt.subplots(1, len(runs), figsize=(6 * len(runs), 4), squeeze=False)
    for ax, (name, (steps, grid)) in zip(axes[0], data.items()):
        grid = grid + [[float("nan")] * len(steps) for _ in range(turns - len(grid))]
        first = min(steps, default=0)
        image = ax.imshow(
            grid,
            aspect="auto",
            origin="lower",
            cmap="magma",
            vmin=0.0,
            vmax=vmax,
            extent=(first + 0.5, first + len(steps) + 0.5, -0.5, turns - 0.5),
        )
        ax.set_title(f"{name}: per-turn KL by turn index")
        ax.set_xlabel("training step")
        ax.set_ylabel("turn index")
        fig.colorbar(image, ax=ax, label="per-turn KL (sum of log pS - log pT)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def spread(values: list[float]) -> str:
    if not values:
        return "n/a"
    mean = statistics.fmean(values)
    return f"{mean:.1f} ± {statistics.pstdev(values):.1f}" if len(values) > 1 else f"{mean:.1f}"


def table(results: dict[str, list[dict]], args: argparse.Namespace) -> str:
    lines = [
        f"| method | seeds | dev success % | dev mean score | traj. KL, last {args.last} steps (mean / std) |",
        "|---|---|---|---|---|",
    ]
    for name, runs in results.items():
        success = spread([100 * r["success"] for r in runs])
        score = spread([r["score"] for r in runs])
        if "traj_kl_last_mean" in runs[0]:
            kl = f"{spread([r['traj_kl_last_mean'] for r in runs])} / {spread([r['traj_kl_last_std'] for r in runs])}"
        else:
            kl = "-"
        lines.append(f"| {name} | {len(runs)} | {success} | {score} | {kl} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--episodes-per-step", type=int, default=16)
    parser.add_argument("--val-episodes", type=int, default=48)
    parser.add_argument(
        "--last", type=int, default=4, help="steps over which the trajectory KL is summarised"
    )
    parser.add_argument("--out", type=Path, default=Path("artifacts/results"))
    parser.add_argument("--picture", type=Path, default=REPO / "docs" / "kl_by_turn.png")
    parser.add_argument("--report-only", action="store_true", help="table and picture from stored runs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    store = args.out / "results.json"
    results: dict[str, list[dict]] = json.loads(store.read_text()) if store.is_file() else {}
    baselines = [("teacher", None), ("student warm-start", None)]
    # Seeds outermost: an interrupted run still has every method at the same number of seeds.
    todo = [(seed, name, cfg) for seed in args.seeds for name, cfg in [*baselines, *METHODS.items()]]
    for seed, name, curriculum in [] if args.report_only else todo:
        runs = results.setdefault(name, [])
        if any(r.get("seed") == seed for r in runs):
            continue
        print(f"== {name}, seed {seed}", flush=True)
        if curriculum is None:
            result = baseline("teacher" if name == "teacher" else "student", seed, args)
        else:
            result = run_method(name, curriculum, seed, args)
        runs.append({**result, "seed": seed})
        store.write_text(json.dumps(results, indent=2))  # resumable
    print(table(results, args))
    (args.out / "table.md").write_text(table(results, args) + "\n")
    args.picture.parent.mkdir(parents=True, exist_ok=True)
    picture({k: results[k][0]["log_dir"] for k in ("vanilla OPD", "TCOD-F2B (eta=2)")}, args.picture)
    print(f"picture: {args.picture}")


if __name__ == "__main__":
    main()
