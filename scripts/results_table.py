#!/usr/bin/env python
"""The methods table of docs/results.md: teacher, warm-start student, vanilla OPD, TCOD-F2B, TCOD-B2F.

Each method runs ``make demo``'s settings (``configs/scienceworld.yaml`` + ``configs/demo.yaml``
+ the method's ``configs/curriculum/*.yaml``) for the same number of steps, several seeds, then
plays the dev panel and the test panel (full depth, the demo's evaluation settings). Reported:
success and best score (mean +- spread over seeds) on both splits, per-token KL to the teacher on
the dev panel's episodes, and the trajectory KL over the last steps. Also draws the per-turn KL by
turn index over training for vanilla OPD vs TCOD-F2B from the TensorBoard logs. Resumable: each
finished run is stored in ``--out``/results.json.

    .venv/bin/python scripts/results_table.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
from pathlib import Path

import lightning.pytorch as pl
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

from tcod_pl.cli import TcodCLI  # noqa: E402
from tcod_pl.demo import DEFAULT_CONFIGS, _metrics, own_policy  # noqa: E402
from tcod_pl.modules.sft import SFTModule  # noqa: E402
from tcod_pl.quiet import quiet_known_noise  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
METHODS = {
    "vanilla OPD": ["--config", "configs/curriculum/vanilla.yaml"],
    "TCOD-F2B (eta=2)": ["--config", "configs/curriculum/f2b.yaml"],
    "TCOD-B2F (eta=2)": ["--config", "configs/curriculum/b2f.yaml"],
}
# --estimators: TCOD-F2B with the other losses in place of the demo's SampledReverseKL.
ESTIMATORS = {
    f"TCOD-F2B, {name}": [
        "--config",
        "configs/curriculum/f2b.yaml",
        "--model.init_args.loss",
        json.dumps({"class_path": f"tcod_pl.losses.{cls}", "init_args": init}),
    ]
    for name, cls, init in (
        ("full-vocabulary ReverseKL", "ReverseKL", {}),
        ("ForwardKL", "ForwardKL", {}),
        ("JSD(beta=0.5)", "GeneralizedJSD", {"beta": 0.5}),
    )
}


def cli_for(seed: int, args: argparse.Namespace, extra: list[str] = ()) -> TcodCLI:
    """The demo's configuration with this seed, both panels of ``--panel-episodes``."""
    configs = [a for c in DEFAULT_CONFIGS for a in ("--config", str(REPO / c))]
    options = ["--seed_everything", str(seed), "--data.init_args.seed", str(seed)]
    options += ["--data.init_args.val_episodes", str(args.panel_episodes)]
    options += ["--data.init_args.test_episodes", str(args.panel_episodes)]
    if args.steps is not None:
        options += ["--trainer.max_epochs", str(args.steps)]
    if args.episodes_per_step is not None:
        options += ["--data.init_args.episodes_per_step", str(args.episodes_per_step)]
    return TcodCLI(args=[*configs, *options, *extra], run=False)


def both_panels(trainer: pl.Trainer, module: pl.LightningModule, datamodule: object) -> dict:
    trainer.validate(module, datamodule=datamodule, verbose=False)
    dev = _metrics(trainer, "val")
    trainer.test(module, datamodule=datamodule, verbose=False)
    return {"dev": dev, "test": _metrics(trainer, "test")}


def run_method(name: str, method: list[str], seed: int, args: argparse.Namespace) -> dict:
    save_dir = args.out / "runs"
    run_name = re.sub(r"\W+", "_", name.lower()).strip("_") + f"_seed{seed}"
    # An interrupted attempt's logs would mix with this run's (same version): start clean.
    shutil.rmtree(save_dir / run_name, ignore_errors=True)
    cli = cli_for(
        seed,
        args,
        [
            *[str(REPO / a) if a.startswith("configs/") else a for a in method],
            "--trainer.check_val_every_n_epoch",
            "1000",  # no panel during training; both panels after the last step
            "--trainer.enable_progress_bar",
            "false",
            "--trainer.logger.init_args.save_dir",
            str(save_dir),
            "--trainer.logger.init_args.name",
            run_name,
            "--trainer.logger.init_args.version",
            "0",
        ],
    )
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    result = both_panels(cli.trainer, cli.model, cli.datamodule)
    result["steps"] = cli.trainer.current_epoch
    traj = scalars(save_dir / run_name / "version_0", "kl/traj_mean")
    last = [v for _, v in traj[-args.last :]]
    result["traj_kl_last_mean"] = statistics.fmean(last) if last else float("nan")
    result["traj_kl_last_std"] = statistics.pstdev(last) if len(last) > 1 else 0.0
    result["log_dir"] = str(save_dir / run_name / "version_0")
    return result


def baseline(model: str, seed: int, args: argparse.Namespace) -> dict:
    """Teacher or warm-start student on both panels, through a policy of its own."""
    cli = cli_for(seed, args)
    pl.seed_everything(seed)
    path = cli.model.hparams.teacher if model == "teacher" else cli.model.hparams.student
    trainer = pl.Trainer(
        accelerator="cpu", devices=1, logger=False, enable_checkpointing=False, inference_mode=False
    )
    with own_policy(cli.datamodule):
        return both_panels(trainer, SFTModule(path), cli.datamodule)


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


def first_logs(runs: list[dict]) -> str | None:
    """The first stored run's TensorBoard folder that is on this machine (runs may come from another)."""
    return next((r["log_dir"] for r in runs if r.get("log_dir") and Path(r["log_dir"]).is_dir()), None)


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


def spread(values: list[float | None], digits: int = 1) -> str:
    """Mean ± population spread over seeds ("-" when nothing was measured)."""
    values = [v for v in values if v is not None and v == v]
    if not values:
        return "-"
    mean = statistics.fmean(values)
    if len(values) == 1:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {statistics.pstdev(values):.{digits}f}"


def table(results: dict[str, list[dict]], args: argparse.Namespace) -> str:
    lines = [
        "| method | seeds | dev success % | dev best score | test success % | test best score "
        f"| dev panel token KL | dev gold KL | traj. KL, last {args.last} steps (mean / std) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, runs in results.items():
        cells = []
        for split in ("dev", "test"):
            cells.append(spread([100 * r[split]["success"] for r in runs]))
            cells.append(spread([r[split]["score"] for r in runs]))
        cells.append(spread([r["dev"].get("token_kl") for r in runs], digits=3))
        cells.append(spread([r["dev"].get("gold_kl") for r in runs], digits=3))  # GoldStateKL's
        if "traj_kl_last_mean" in runs[0]:
            mean = spread([r["traj_kl_last_mean"] for r in runs], digits=2)
            cells.append(f"{mean} / {spread([r['traj_kl_last_std'] for r in runs], digits=2)}")
        else:
            cells.append("-")
        lines.append(f"| {name} | {len(runs)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=None, help="training steps (default: the demo's)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--episodes-per-step", type=int, default=None, help="default: the demo's")
    parser.add_argument("--panel-episodes", type=int, default=48, help="episodes of each panel")
    parser.add_argument(
        "--last", type=int, default=4, help="steps over which the trajectory KL is summarised"
    )
    parser.add_argument("--out", type=Path, default=Path("artifacts/results"))
    parser.add_argument("--picture", type=Path, default=REPO / "docs" / "kl_by_turn.png")
    parser.add_argument("--report-only", action="store_true", help="table and picture from stored runs")
    parser.add_argument(
        "--estimators", action="store_true", help="also TCOD-F2B with ReverseKL, ForwardKL and JSD(0.5)"
    )
    args = parser.parse_args()
    quiet_known_noise(lightning_info=False)
    args.out.mkdir(parents=True, exist_ok=True)
    store = args.out / "results.json"
    results: dict[str, list[dict]] = json.loads(store.read_text()) if store.is_file() else {}
    baselines = [("teacher", None), ("student warm-start", None)]
    # Seeds outermost: an interrupted run still has every method at the same number of seeds.
    methods = {**METHODS, **(ESTIMATORS if args.estimators else {})}
    todo = [(seed, name, cfg) for seed in args.seeds for name, cfg in [*baselines, *methods.items()]]
    for seed, name, method in [] if args.report_only else todo:
        runs = results.setdefault(name, [])
        if any(r.get("seed") == seed for r in runs):
            continue
        print(f"== {name}, seed {seed}", flush=True)
        if method is None:
            result = baseline("teacher" if name == "teacher" else "student", seed, args)
        else:
            result = run_method(name, method, seed, args)
        runs.append({**result, "seed": seed})
        store.write_text(json.dumps(results, indent=2))  # resumable
    text = table(results, args)
    print(text)
    (args.out / "table.md").write_text(text + "\n")
    logs = {k: first_logs(results.get(k, [])) for k in ("vanilla OPD", "TCOD-F2B (eta=2)")}
    if all(logs.values()):
        args.picture.parent.mkdir(parents=True, exist_ok=True)
        picture(logs, args.picture)
        print(f"picture: {args.picture} (seeds' logs: {logs})")
    else:
        print(f"no picture: TensorBoard logs missing for {[k for k, v in logs.items() if not v]}")


if __name__ == "__main__":
    main()
