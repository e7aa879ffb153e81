#!/usr/bin/env python
"""Build the embedded ScienceWorld teacher and student end to end, offline, on CPU.

    .venv/bin/python scripts/build_demo_models.py            # everything (the teacher: ~71 min on 2 cores; docs/results.md)
    .venv/bin/python scripts/build_demo_models.py --stage collect|init|teacher|prune|student|eval

Stages (each reuses what the previous ones left under --work):

1. collect: gold trajectories of the demo task set's *training* variations, replayed in the real
   ScienceWorld (easy) and rendered with the agent prompt; cached as JSONL by ExpertDataModule
   (the same cache the SFT configs read).
2. init: a word-level byte-BPE tokenizer from that environment text (multi-word object names are
   single added tokens), and randomly initialised Qwen2 models for it (``--teacher-size``, default
   "small", 5.0M; ``--student-size``, default "tiny", 0.94M, used by the ``student`` stage only).
3. teacher: behaviour cloning, ``configs/teachers/scienceworld_bc.yaml`` (``tcod-pl fit``): gold
   episodes plus name-swapped copies of the find-* ones, 5 epochs, checkpointed every 100 steps
   (``--resume`` continues a cut run from its last.ckpt).
4. prune: the shipped student is the teacher pruned to ``--prune`` (hidden 128, 2 kv heads, 320
   MLP neurons, all 6 layers: 1.19M, 0.24x), ranked by activations on 64 gold training episodes
   (tcod_pl.models.prune), not trained further: distillation is what restores it (docs/results.md).
5. eval: full episodes on dev variations (temperature 0.4) through ``tcod-pl validate``'s path.

``--stage student`` (not part of ``all``): the previous student instead, the init stage's random
"tiny" model warm-started by a 2-epoch SFT, ``configs/students/scienceworld_warmstart.yaml``.

The exported models land in ``tcod_pl/assets/scienceworld/{teacher,student}``.

Reproduce the shipped files (2 CPU threads free: ~2 min collect, ~71 min teacher (measured
70.9), < 1 min prune, ~4 min eval):

    .venv/bin/python scripts/build_demo_models.py --stage all --resume

A new student for the shipped teacher: ``--stage prune`` (another width: ``--prune 128,2,256``).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
ASSETS = REPO / "tcod_pl" / "assets" / "scienceworld"
TEACHER_CONFIG = REPO / "configs" / "teachers" / "scienceworld_bc.yaml"
STUDENT_CONFIG = REPO / "configs" / "students" / "scienceworld_warmstart.yaml"
EVAL_CONFIG = REPO / "configs" / "teachers" / "scienceworld_eval.yaml"

# The demo task set (short ScienceWorld tasks, 2-12 gold actions under `easy`, whose every action
# names something visible in the observation or the object list), from the one file every demo
# config composes.
DEMO_ENV = REPO / "configs" / "envs" / "scienceworld_demo.yaml"
DEMO_TASKS = yaml.safe_load(DEMO_ENV.read_text())["init_args"]["task_names"]
# Under `easy` every door is open and the object list is shown each turn, so these gold actions
# change nothing: dropping them shortens demonstrations by ~40% (and the episodes the agent plays).
SKIP_ACTIONS = ["^open door to ", "^look around$"]
TEACHER_SIZE = "small"
STUDENT_SIZE = "tiny"
# The student is the teacher pruned to this width (hidden, kv heads, MLP neurons; all 6 layers):
# 1.19M parameters, 0.24x the teacher's.
PRUNED_SHAPE = (128, 2, 320)


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
    from tcod_pl.data.episode_stats import listed_objects

    names = {name for ep in episodes for turn in ep.turns for name in listed_objects(turn.observation)}
    return sorted(n for n in names if " " in n)


def corpus(episodes) -> list[str]:
    from tcod_pl.rollout.prompting import DEFAULT_SYSTEM

    texts = [DEFAULT_SYSTEM]
    for ep in episodes:
        for turn in ep.turns:
            texts += [turn.observation, turn.response]
    return texts


def init_models(
    cache_dir: str,
    out: Path,
    tokenizer: Path | None = None,
    sizes: dict[str, str] | None = None,
) -> None:
    """Random teacher / student inits; ``tokenizer``: reuse that model's tokenizer instead of
    building one (a student for an existing teacher must share its vocabulary)."""
    from transformers import AutoTokenizer

    from tcod_pl.models.tiny import build_tokenizer, count_parameters, save_tiny

    episodes = collect(cache_dir)
    if tokenizer is not None:
        tok = AutoTokenizer.from_pretrained(tokenizer)
    else:
        tok = build_tokenizer(corpus(episodes), extra_tokens=object_names(episodes), max_vocab=8192)
    sizes = sizes or {"teacher": TEACHER_SIZE, "student": STUDENT_SIZE}
    for role, size in sizes.items():
        path = save_tiny(out / f"{role}-init", tok, size=size, seed=0)
        from transformers import AutoModelForCausalLM

        n = count_parameters(AutoModelForCausalLM.from_pretrained(path))
        print(f"[init] {role}: {size}, {n / 1e6:.2f}M parameters, vocab {len(tok)} -> {path}")


def prune_student(
    teacher: Path, cache_dir: str, out: Path, shape: tuple[int, int, int], calibration: int = 64
) -> None:
    """The student's init: ``teacher`` pruned to (hidden, kv heads, MLP neurons) by the activations
    on ``calibration`` gold training episodes (tcod_pl.models.prune); depth and tokenizer are kept."""
    import random

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tcod_pl.data.packing import ChatPacker
    from tcod_pl.models.prune import importance, prune_qwen2
    from tcod_pl.models.tiny import count_parameters

    tok = AutoTokenizer.from_pretrained(teacher)
    model = AutoModelForCausalLM.from_pretrained(teacher, dtype=torch.float32)
    episodes = collect(cache_dir)
    random.Random(0).shuffle(episodes)
    packer = ChatPacker(tok)
    batches = [torch.tensor([packer.pack(ep)[0].input_ids]) for ep in episodes[:calibration]]
    student = prune_qwen2(model, importance(model, batches), *shape)
    student.save_pretrained(out)
    tok.save_pretrained(out)
    n, n_teacher = count_parameters(student), count_parameters(model)
    print(f"[prune] {teacher} -> {out}: {n / 1e6:.2f}M parameters ({n / n_teacher:.3f}x the teacher's)")


def fit(config: Path, init: Path, out: Path, extra: list[str] = (), resume: bool = False) -> float:
    """``tcod-pl fit --config config`` on ``init``, then export the trained model to ``out``.

    ``resume``: continue from the run's ``last.ckpt`` (the config's ``checkpoint.dirpath``) if any.
    """
    from tcod_pl.cli import TcodCLI

    t0 = time.time()
    cli = TcodCLI(args=["--config", str(config), f"--model.init_args.model={init}", *extra], run=False)
    last = cli.trainer.checkpoint_callback.dirpath if cli.trainer.checkpoint_callback else None
    ckpt = Path(last) / "last.ckpt" if resume and last else None
    if ckpt is not None and ckpt.is_file():
        print(f"[fit] resuming from {ckpt}")
    cli.trainer.fit(cli.model, datamodule=cli.datamodule, ckpt_path=ckpt if ckpt and ckpt.is_file() else None)
    if out.exists():
        shutil.rmtree(out)
    cli.model.save_pretrained(out)
    minutes = (time.time() - t0) / 60
    print(f"[fit] {config.name}: {minutes:.1f} min -> {out}")
    return minutes


# Verbs of the demo tasks' actions; what follows (up to " to " / " in ") is the first argument.
_VERB = re.compile(r"^(?:go to|focus on|pick up|move|look at|open|close|put down|teleport to) ")


def copy_rate(episodes) -> float:
    """How often an action's first argument starts with an object listed in that turn's observation.

    The diagnosed failure of small models here: naming an object from training (``focus on egg
    parrot``) instead of one in front of them. Expert episodes score close to 1 (a few gold actions
    name an inventory item, which the list omits).
    """
    hits = total = 0
    for ep in episodes:
        for turn in ep.turns:
            verb = _VERB.match(turn.action)
            listed = [ln for ln in turn.observation.splitlines() if "Objects:" in ln]
            if not verb or not listed:
                continue
            names = {n.strip() for n in listed[-1].split("Objects:", 1)[1].split(",") if n.strip()}
            arg = re.split(r" (?:to|in) ", turn.action[verb.end() :], maxsplit=1)[0]
            total += 1
            hits += any(arg == n or arg.startswith(n + " ") for n in names)
    return hits / total if total else float("nan")


def evaluate(model: Path, episodes: int = 48, extra: list[str] = (), save: Path | None = None) -> dict:
    """Dev success / score of an exported model: ``tcod-pl validate`` with the eval config."""
    from tcod_pl.cli import TcodCLI
    from tcod_pl.data.episode import save_episodes

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
    if save is not None:
        save_episodes(episodes_played, save)
    by_task: dict[str, list] = {}
    for ep in episodes_played:
        by_task.setdefault(ep.task["name"], []).append(ep)
    metrics["episodes"] = len(episodes_played)
    metrics["minutes"] = (time.time() - t0) / 60
    metrics["copy_rate"] = copy_rate(episodes_played)
    metrics["by_task"] = {
        name: {
            "episodes": len(eps),
            "success": sum(e.success for e in eps) / len(eps),
            "score": sum(e.score for e in eps) / len(eps),
            "rounds": sum(e.rounds for e in eps) / len(eps),
        }
        for name, eps in sorted(by_task.items())
    }
    print(f"[eval] {model}: {json.dumps(metrics)}")
    return metrics


def _shape(text: str) -> tuple[int, int, int]:
    parts = text.split(",")
    if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
        raise argparse.ArgumentTypeError(
            f"--prune {text!r}: give hidden,kv_heads,mlp_neurons, e.g. 128,2,320"
        )
    return tuple(int(p) for p in parts)  # type: ignore[return-value]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--stage", default="all", choices=["all", "collect", "init", "teacher", "prune", "student", "eval"]
    )
    ap.add_argument("--work", default="artifacts/demo_models", help="scratch dir (caches, inits, runs)")
    ap.add_argument("--teacher-rounds", type=int, default=1, help="plain rounds of the teacher recipe")
    ap.add_argument(
        "--teacher-from",
        type=Path,
        default=None,
        help="skip the teacher rounds: export this teacher as is",
    )
    ap.add_argument("--tokenizer", type=Path, default=None, help="init stage: reuse this model's tokenizer")
    ap.add_argument(
        "--teacher-size", default=TEACHER_SIZE, help="init stage: tcod_pl.models.tiny.MODEL_SIZES key"
    )
    ap.add_argument(
        "--student-size", default=STUDENT_SIZE, help="init stage: tcod_pl.models.tiny.MODEL_SIZES key"
    )
    ap.add_argument(
        "--prune",
        default=PRUNED_SHAPE,
        type=_shape,
        help="prune stage: the student's hidden size, kv heads and MLP neurons, e.g. 128,2,320",
    )
    ap.add_argument(
        "--resume",
        action="store_true",
        help="keep teacher rounds already exported; resume a cut one from its last.ckpt",
    )
    ap.add_argument("--eval-episodes", type=int, default=48, help="dev episodes per model (eval stage)")
    ap.add_argument("fit_args", nargs="*", help="extra LightningCLI overrides for the fit stages")
    args = ap.parse_args(argv)
    work = Path(args.work)
    cache_dir = str(work / "expert_cache")
    if args.stage in ("all", "collect"):
        collect(cache_dir)
    if args.stage in ("all", "init"):
        init_models(
            cache_dir, work, args.tokenizer, {"teacher": args.teacher_size, "student": args.student_size}
        )
    extra = [f"--data.init_args.cache_dir={cache_dir}"]
    if args.stage in ("all", "teacher"):
        # Each round starts from the previous round's export (a warm restart); one by default.
        init = work / "teacher-init"
        if args.teacher_from is not None:
            init = args.teacher_from
        else:
            for r in range(1, args.teacher_rounds + 1):
                if not (args.resume and (work / f"teacher-round{r}" / "model.safetensors").is_file()):
                    fit(TEACHER_CONFIG, init, work / f"teacher-round{r}", extra + args.fit_args, args.resume)
                init = work / f"teacher-round{r}"
        if (ASSETS / "teacher").exists():
            shutil.rmtree(ASSETS / "teacher")
        shutil.copytree(init, ASSETS / "teacher")
    if args.stage in ("all", "prune"):
        prune_student(ASSETS / "teacher", cache_dir, ASSETS / "student", args.prune)
    if args.stage == "student":  # the alternative student: trained from scratch (init stage's)
        fit(STUDENT_CONFIG, work / "student-init", ASSETS / "student", extra + args.fit_args)
    if args.stage in ("all", "eval"):
        results = {
            role: evaluate(ASSETS / role, args.eval_episodes, save=work / f"eval-{role}.jsonl")
            for role in ("teacher", "student")
        }
        (work / "eval.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
