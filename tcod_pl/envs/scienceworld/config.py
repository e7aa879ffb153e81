"""ScienceWorldConfig: what a worker process needs to build a ScienceWorld env, and the task sets."""

from __future__ import annotations

from tcod_pl.envs.base import EnvConfig, EnvError, TaskSpec
from tcod_pl.envs.scienceworld.adapter import ScienceWorldEnv
from tcod_pl.envs.scienceworld.jvm import find_java
from tcod_pl.envs.scienceworld.tasks import (
    ENV_NAME,
    SPLIT_SCHEMES,
    SPLITS,
    UNSEEN_TEST_TASK_TYPES,
    canonical_task_name,
    check_simplification,
    task_names,
    variation_table,
)

# ---------------------------------------------------------------------------------------------
# Config: what a worker needs to build one, and the task sets
# ---------------------------------------------------------------------------------------------


class ScienceWorldConfig(EnvConfig):
    """Recipe for :class:`ScienceWorldEnv` and its task sets.

    Args:
        task_names: task types to use (env names such as ``find-living-thing``); None = all 30.
        simplification: ``easy`` (all simplifications), ``""`` (none) or a comma-separated subset.
        jvm_heap: JVM max heap (``-Xmx``), e.g. ``768m``; None leaves the JVM default (~1/4 of RAM).
        max_variations_per_task: keep the first k variations of each task in each split.
        split_scheme: ``variations`` (the env's train/dev/test variations of every task) or
            ``unseen_task_types`` (17 types for train/dev, 13 held-out types for test).
        env_step_limit: the episode ends once the move count exceeds this (the package's rule).
        stable_object_order: list a room's objects in the same order at every JVM start (the
            package's order follows identity hash codes, which vary between starts, so runs of
            one seed would differ); False gives the package's own behaviour.
    """

    name = ENV_NAME

    def __init__(
        self,
        task_names: list[str] | None = None,
        simplification: str = "easy",
        jvm_heap: str | None = "768m",
        max_variations_per_task: int | None = None,
        split_scheme: str = "variations",
        env_step_limit: int = 100,
        stable_object_order: bool = True,
    ):
        if split_scheme not in SPLIT_SCHEMES:
            raise EnvError(f"Unknown split_scheme {split_scheme!r}; use one of {SPLIT_SCHEMES}.")
        if max_variations_per_task is not None and max_variations_per_task < 1:
            raise EnvError("max_variations_per_task must be >= 1 (or None for all).")
        self.task_names = [canonical_task_name(n) for n in task_names] if task_names else None
        self.simplification = check_simplification(simplification)
        self.jvm_heap = jvm_heap
        self.max_variations_per_task = max_variations_per_task
        self.split_scheme = split_scheme
        self.env_step_limit = env_step_limit
        self.stable_object_order = stable_object_order
        find_java()  # no Java is a set-up error: report it now, before a trainer or worker starts

    def make(self) -> ScienceWorldEnv:
        return ScienceWorldEnv(
            self.simplification, self.jvm_heap, self.env_step_limit, self.stable_object_order
        )

    def task_types(self, split: str) -> list[str]:
        """Task types of ``split`` in task-id order."""
        if split not in SPLITS:
            raise EnvError(f"Unknown split {split!r}; use one of {SPLITS}.")
        chosen = set(self.task_names or task_names())
        names = [n for n in task_names() if n in chosen]
        if self.split_scheme == "unseen_task_types":
            held_out = split == "test"
            names = [n for n in names if (n in UNSEEN_TEST_TASK_TYPES) == held_out]
        return names

    def tasks(self, split: str) -> list[TaskSpec]:
        names = self.task_types(split)
        table = variation_table(names)
        out: list[TaskSpec] = []
        for name in names:
            variations = table[name][split][: self.max_variations_per_task]
            out.extend(TaskSpec(ENV_NAME, name, v, split) for v in variations)
        return out
