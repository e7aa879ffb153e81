#!/usr/bin/env python
"""Build the embedded ScienceWorld teacher and student end to end, offline, on CPU.

    .venv/bin/python scripts/build_demo_models.py            # everything (~see README)
    .venv/bin/python scripts/build_demo_models.py --stage collect|init|teacher|student|eval

Stages (each reuses what the previous ones left under --work):

1. collect: gold trajectories of the demo task set's *training* variations, replayed in the real
   ScienceWorld (easy) and rendered with the agent prompt; cached as JSONL by ExpertDataModule
   (the same cache the SFT configs read).
2. init: a word-level byte-BPE tokenizer from that environment text (multi-word object names are
   single added tokens), and randomly initialised Qwen2 teacher / student models for it.
3. teacher: behaviour cloning, ``configs/teachers/scienceworld_bc.yaml`` (``tcod-pl fit``).
4. student: a short warm-start SFT of the smaller model, ``configs/students/scienceworld_warmstart.yaml``.
5. eval: full episodes on dev variations (temperature 0.4) through ``tcod-pl validate``'s path.

The exported models land in ``tcod_pl/assets/scienceworld/{teacher,student}``.

Reproduce the shipped files (2 CPU threads free: ~5 min collect, ~8 min per teacher round,
<1 min student, ~12 min eval; set OMP_NUM_THREADS=1 on a busy machine):

    OMP_NUM_THREADS=1 .venv/bin/python scripts/build_demo_models.py --stage all
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ASSETS = REPO / "tcod_pl" / "assets" / "scienceworld"
TEACHER_CONFIG = REPO / "configs" / "teachers" / "scienceworld_bc.yaml"
STUDENT_CONFIG = REPO / "configs" / "students" / "scienceworld_warmstart.yaml"
EVAL_CONFIG = REPO / "configs" / "teachers" / "scienceworld_eval.yaml"

# The demo task set: short ScienceWorld tasks (2-12 gold actions under `easy`) whose every action
# names something visible in the observation or the object list (see the README / configs).
DEMO_TASKS = [
    "find-non-living-thing",
    "lifespan-longest-lived",
    "lifespan-shortest-lived",
    "lifespan-longest-lived-then-shortest-lived",
    "find-living-thing",
    "find-animal",
]
# Under `easy` every door is open and the object list is shown each turn, so these gold actions
# change nothing: dropping them shortens demonstrations by ~40% (and the episodes the agent plays).
SKIP_ACTIONS = ["^open door to ", "^look around$"]
TEACHER_SIZE = "tiny"
STUDENT_SIZE = "micro"


def demo_prompt():
    from tcod_pl.rollout.prompting import AgentPrompt

    # Objects visible in the current room, every turn: the names actions must copy.
    return AgentPrompt(hints="every", hint_lines=["Objects"])


def expert_datamodule(cache_dir: str):
    from tcod_pl.envs import ScienceWorldConfig
    from tcod_pl.rollout.expert import ExpertDataModule

    return ExpertDataModule(
        env=ScienceWorldConfig(task_names=DEMO_TASKS, simplification="easy"),
        val_split=None,
        cache_dir=cache_dir,
        prompt=demo_prompt(),
        num_env_workers=2,
        skip_actions=SKIP_ACTIONS,
    )


def bootstrap_packer():
    """Expert collection renders text only; any chat tokenizer serves to drive the runner."""
    from tcod_pl.data.packing import ChatPacker
    from tcod_pl.models.tiny import build_tokenizer

    return ChatPacker(build_tokenizer(["bootstrap text"], max_vocab=300))


def collect(cache_dir: str):
    dm = expert_datamodule(cache_dir)
    t0 = time.time()
    episodes = dm.episodes("train", bootstrap_packer())
    print(f"[collect] {len(episodes)} expert episodes at {dm.cache_path('train')} ({time.time() - t0:.0f}s)")
    return episodes


def object_names(episodes) -> list[str]:
    """Multi-word object names from the 'Objects:' hint lines (single words are tokens already)."""
    names: set[str] = set()
    for ep in episodes:
        for turn in ep.turns:
            for line in turn.observation.splitlines():
                if "Objects:" in line:
                    names.update(n.strip() for n in line.split("Objects:", 1)[1].split(","))
    return sorted(n for n in names if " " in n)


def corpus(episodes) -> list[str]:
    from tcod_pl.rollout.prompting import DEFAULT_SYSTEM

    texts = [DEFAULT_SYSTEM]
    for ep in episodes:
        for turn in ep.turns:
            texts += [turn.observation, turn.response]
    return texts


def init_models(cache_dir: str, out: Path) -> None:
    from tcod_pl.models.tiny import build_tokenizer, count_parameters, save_tiny

    episodes = collect(cache_dir)
    tok = build_tokenizer(corpus(episodes), extra_tokens=object_names(episodes), max_vocab=8192)
    for role, size in (("teacher", TEACHER_SIZE), ("student", STUDENT_SIZE)):
        path = save_tiny(out / f"{role}-init", tok, size=size, seed=0)
        from transformers import AutoModelForCausalLM

        n = count_parameters(AutoModelForCausalLM.from_pretrained(path))
        print(f"[init] {role}: {size}, {n / 1e6:.2f}M parameters, vocab {len(tok)} -> {path}")


def fit(config: Path, init: Path, out: Path, extra: list[str] = ()) -> float:
    """``tcod-pl fit --config config`` on ``init``, then export the trained model to ``out``."""
    from tcod_pl.cli import TcodCLI

    t0 = time.time()
    cli = TcodCLI(args=["--config", str(config), f"--model.init_args.model={init}", *extra], run=False)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    if out.exists():
        shutil.rmtree(out)
    cli.model.save_pretrained(out)
    minutes = (time.time() - t0) / 60
    print(f"[fit] {config.name}: {minutes:.1f} min -> {out}")
    return minutes


def evaluate(model: Path, episodes: int = 48, extra: list[str] = ()) -> dict[str, float]:
    """Dev success / score of an exported model: ``tcod-pl validate`` with the eval config."""
    from tcod_pl.cli import TcodCLI

    t0 = time.time()
    cli = TcodCLI(
        args=[
            "--config",
            str(EVAL_CONFIG),
            f"--model.init_args.model={model}",
            f"--data.init_args.val_episodes={episodes}",
            *extra,
        ],
        run=False,
    )
    (metrics,) = cli.trainer.validate(cli.model, datamodule=cli.datamodule)
    metrics = {k: float(v) for k, v in metrics.items()}
    episodes_played = cli.datamodule.last_episodes.get("val", [])
    by_task: dict[str, list[float]] = {}
    for ep in episodes_played:
        by_task.setdefault(ep.task["name"], []).append(float(ep.success))
    metrics["episodes"] = len(episodes_played)
    metrics["minutes"] = (time.time() - t0) / 60
    metrics["success_by_task"] = {k: sum(v) / len(v) for k, v in by_task.items()}
    print(f"[eval] {model}: {json.dumps(metrics)}")
    return metrics


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--stage", default="all", choices=["all", "collect", "init", "teacher", "student", "eval"]
    )
    ap.add_argument("--work", default="artifacts/demo_models", help="scratch dir (caches, inits, runs)")
    ap.add_argument("--teacher-rounds", type=int, default=2, help="rounds of the teacher recipe")
    ap.add_argument("--resume", action="store_true", help="keep teacher rounds already exported")
    ap.add_argument("--eval-episodes", type=int, default=48, help="dev episodes per model (eval stage)")
    ap.add_argument("fit_args", nargs="*", help="extra LightningCLI overrides for the fit stages")
    args = ap.parse_args(argv)
    work = Path(args.work)
    cache_dir = str(work / "expert_cache")
    if args.stage in ("all", "collect"):
        collect(cache_dir)
    if args.stage in ("all", "init"):
        init_models(cache_dir, work)
    extra = [f"--data.init_args.cache_dir={cache_dir}"]
    if args.stage in ("all", "teacher"):
        # Rounds of the same recipe, each starting from the previous round's export (a warm restart).
        init = work / "teacher-init"
        for r in range(1, args.teacher_rounds + 1):
            if not (args.resume and (work / f"teacher-round{r}" / "model.safetensors").is_file()):
                fit(TEACHER_CONFIG, init, work / f"teacher-round{r}", extra + args.fit_args)
            init = work / f"teacher-round{r}"
        if (ASSETS / "teacher").exists():
            shutil.rmtree(ASSETS / "teacher")
        shutil.copytree(init, ASSETS / "teacher")
    if args.stage in ("all", "student"):
        fit(STUDENT_CONFIG, work / "student-init", ASSETS / "student", extra + args.fit_args)
    if args.stage in ("all", "eval"):
        results = {role: evaluate(ASSETS / role, args.eval_episodes) for role in ("teacher", "student")}
        (work / "eval.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
