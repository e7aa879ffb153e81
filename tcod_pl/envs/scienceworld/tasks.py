"""ScienceWorld's task catalogue: task names, simplifications, variation splits (a JVM only when the
shipped table lacks a task)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from tcod_pl.envs.base import EnvError
from tcod_pl.envs.scienceworld.jvm import start_jvm, stop_jvm

ENV_NAME = "scienceworld"
SPLITS = ("train", "dev", "test")
SPLIT_SCHEMES = ("variations", "unseen_task_types")
VARIATIONS_PATH = Path(__file__).resolve().parent.parent / "scienceworld_variations.json"

# The simplifications the engine knows ("easy" = all of them); "" = none.
SIMPLIFICATIONS = (
    "easy",
    "teleportAction",
    "selfWateringFlowerPots",
    "openContainers",
    "openDoors",
    "noElectricalAction",
)


# Unseen-task-type split (17 train / 13 test types). Rule: within each of ScienceWorld's 10 topics
# (task ids 1-x .. 10-x), the last floor(n/2) task types by id are held out for test, so every topic
# is seen in training and every topic has a held-out type. Variations: the env's own train/dev/test
# splits (train is ~50% of each type's variations, as in the paper).
UNSEEN_TEST_TASK_TYPES: tuple[str, ...] = (
    "freeze",  # 1-3
    "change-the-state-of-matter-of",  # 1-4
    "measure-melting-point-unknown-substance",  # 2-3
    "test-conductivity",  # 3-3
    "test-conductivity-of-unknown-substances",  # 3-4
    "find-plant",  # 4-3
    "find-animal",  # 4-4
    "grow-fruit",  # 5-2
    "chemistry-mix-paint-tertiary-color",  # 6-3
    "lifespan-longest-lived-then-shortest-lived",  # 7-3
    "identify-life-stages-2",  # 8-2
    "inclined-plane-friction-unnamed-surfaces",  # 9-3
    "mendelian-genetics-unknown-plant",  # 10-2
)

# ---------------------------------------------------------------------------------------------
# Task names and variation splits (no JVM needed)
# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def task_names() -> tuple[str, ...]:
    """The env's 30 task names (e.g. ``find-living-thing``) in task-id order (1-1 .. 10-2)."""
    from scienceworld.constants import ID2TASK
    from scienceworld.utils import infer_task

    return tuple(infer_task(name) for name in ID2TASK.values())


def canonical_task_name(name: str) -> str:
    """Accept the env's names, ``task-1-boil`` style names, task ids (``1-1``) and paper names."""
    from scienceworld.utils import infer_task

    canon = infer_task(str(name).strip())
    if canon not in task_names():
        raise EnvError(f"Unknown ScienceWorld task {name!r}. Valid task names: {', '.join(task_names())}")
    return canon


def check_simplification(simplification: str) -> str:
    """Validate a comma-separated simplification string ("easy", "" or a subset of the engine's)."""
    unknown = [s for s in simplification.split(",") if s and s not in SIMPLIFICATIONS]
    if unknown:
        raise EnvError(
            f"Unknown ScienceWorld simplification(s) {unknown}. Use a comma-separated subset of "
            f"{', '.join(SIMPLIFICATIONS)} (or '' for none)."
        )
    return simplification


def _expand(ranges: list[list[int]]) -> list[int]:
    return [v for start, stop in ranges for v in range(start, stop)]


@functools.lru_cache(maxsize=1)
def _shipped_table() -> dict[str, dict[str, Any]]:
    if not VARIATIONS_PATH.exists():
        return {}
    raw = json.loads(VARIATIONS_PATH.read_text())
    return {
        name: {"num_variations": e["num_variations"], **{s: _expand(e[s]) for s in SPLITS}}
        for name, e in raw["tasks"].items()
    }


_jvm_table: dict[str, dict[str, Any]] = {}


def query_variations(env: Any, name: str) -> dict[str, Any]:
    """Ask a running package ``ScienceWorldEnv`` for a task's variation count and splits (loads the task)."""
    env.load(name, 0, "")
    return {
        "num_variations": int(env.get_max_variations(name)),
        "train": sorted(env.get_variations_train()),
        "dev": sorted(env.get_variations_dev()),
        "test": sorted(env.get_variations_test()),
    }


def variation_table(names: list[str] | tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Variation count and train/dev/test ids per task: from the shipped JSON, else from a JVM."""
    shipped = _shipped_table()
    missing = [n for n in names if n not in shipped and n not in _jvm_table]
    if missing:  # the JSON is stale or absent: pay for one JVM
        sw = start_jvm()
        try:
            for n in missing:
                _jvm_table[n] = query_variations(sw, n)
        finally:
            stop_jvm(sw)
    return {n: shipped.get(n) or _jvm_table[n] for n in names}
