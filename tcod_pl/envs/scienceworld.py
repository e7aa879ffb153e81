"""ScienceWorld adapter: one JVM per env object, cheap steps, task sets from the env's own splits.

The package's ``ScienceWorldEnv.step`` lists every valid action-object combination on each call
(~15x the cost of the step itself), so :meth:`ScienceWorldEnv.step` talks to the JVM-side
``PythonInterface`` directly and computes that list only in :meth:`ScienceWorldEnv.valid_actions`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tcod_pl.envs.base import EnvConfig, EnvError, ResetResult, StepResult, TaskSpec, TextEnv

ENV_NAME = "scienceworld"
SPLITS = ("train", "dev", "test")
SPLIT_SCHEMES = ("variations", "unseen_task_types")
VARIATIONS_PATH = Path(__file__).with_name("scienceworld_variations.json")

# The simplifications the engine knows ("easy" = all of them); "" = none.
SIMPLIFICATIONS = (
    "easy",
    "teleportAction",
    "selfWateringFlowerPots",
    "openContainers",
    "openDoors",
    "noElectricalAction",
)

# Engine messages that mean "the input matched no action" (the step consumed nothing).
INVALID_MARKERS = ("No known action matches that input.",)
AMBIGUOUS_MARKER = "Ambiguous request"

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

JAVA_MISSING = (
    "ScienceWorld needs Java 17, and no `java` was found (JAVA_HOME/bin/java or PATH). "
    "Install Java 17 (e.g. `apt-get install openjdk-17-jre-headless`, `conda install openjdk=17`) "
    "or set JAVA_HOME to a Java 17 installation."
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


# ---------------------------------------------------------------------------------------------
# JVM lifecycle
# ---------------------------------------------------------------------------------------------


def find_java() -> str:
    """Path of the ``java`` the JVM will run with, or EnvError naming the fix."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and os.access(os.path.join(java_home, "bin", "java"), os.X_OK):
        return os.path.join(java_home, "bin", "java")
    java = shutil.which("java")
    if java is None:
        raise EnvError(JAVA_MISSING)
    return java


@contextlib.contextmanager
def _jvm_environment(java: str, jvm_heap: str | None) -> Iterator[None]:
    """Temporarily set what the JVM inherits: the heap cap and a PATH whose first ``java`` is ours.

    The package offers no ``javaopts``; the JVM reads ``JAVA_TOOL_OPTIONS`` at start-up, and py4j
    runs plain ``java`` from PATH (it ignores JAVA_HOME when a path is given).
    """
    saved = {k: os.environ.get(k) for k in ("JAVA_TOOL_OPTIONS", "PATH")}
    try:
        if jvm_heap:
            opts = [o for o in (saved["JAVA_TOOL_OPTIONS"] or "").split() if not o.startswith("-Xmx")]
            os.environ["JAVA_TOOL_OPTIONS"] = " ".join([*opts, f"-Xmx{jvm_heap}"])
        os.environ["PATH"] = os.pathsep.join([os.path.dirname(java), saved["PATH"] or ""])
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def start_jvm(jvm_heap: str | None = "768m", env_step_limit: int = 100) -> Any:
    """Start one JVM and return the package's ``ScienceWorldEnv`` wrapping it (no task loaded)."""
    java = find_java()
    from scienceworld import ScienceWorldEnv as _PackageEnv

    py4j_log = logging.getLogger("py4j")
    if py4j_log.level == logging.NOTSET:
        # py4j logs a traceback for every call once the JVM is gone; the adapter raises instead.
        py4j_log.setLevel(logging.CRITICAL)
    with _jvm_environment(java, jvm_heap):
        try:
            return _PackageEnv("", envStepLimit=env_step_limit)
        except FileNotFoundError as e:
            raise EnvError(f"{JAVA_MISSING} ({e})") from e


def stop_jvm(sw: Any, timeout: float = 10.0) -> None:
    """Shut the gateway down and make sure the JVM process is gone."""
    proc = getattr(sw._gateway, "java_process", None)
    with contextlib.suppress(Exception):
        sw.close()
    if proc is not None:
        try:
            proc.wait(timeout)
        except Exception:
            proc.kill()
            with contextlib.suppress(Exception):
                proc.wait(timeout)
    # The package's __del__ calls close() again; make that a no-op on a dead gateway.
    sw.close = lambda: None


# ---------------------------------------------------------------------------------------------
# The adapter
# ---------------------------------------------------------------------------------------------


class ScienceWorldEnv(TextEnv):
    """ScienceWorld behind :class:`TextEnv`. One JVM for the object's lifetime; ``reset`` = ``load``.

    ``score`` is the task score clamped to 0..100 (the engine reports -100 when the task failed);
    ``reward`` is the change of that score, so rewards of an episode sum to its final score.
    ``done`` when the task is completed, failed, or the move count exceeds ``env_step_limit``
    (the package's rule). ``success`` = completed with score 100.
    """

    def __init__(
        self, simplification: str = "easy", jvm_heap: str | None = "768m", env_step_limit: int = 100
    ):
        self.simplification = check_simplification(simplification)
        self.env_step_limit = env_step_limit
        self._sw = start_jvm(jvm_heap, env_step_limit)
        self._server = self._sw.server  # the JVM-side PythonInterface
        self._task: TaskSpec | None = None
        self._score = 0
        self._closed = False

    @property
    def jvm_pid(self) -> int:
        return int(self._sw._gateway.java_process.pid)

    def _jvm_error(self, e: Exception) -> Exception:
        """A clear error when the JVM died under us; other errors pass through unchanged."""
        code = self._sw._gateway.java_process.poll()
        if code is None:
            return e
        return RuntimeError(f"the ScienceWorld JVM (pid {self.jvm_pid}) exited with code {code}: {e}")

    # -- episode ---------------------------------------------------------------------------

    def _load(self, task: TaskSpec, gold: bool) -> str:
        if task.env != ENV_NAME:
            raise EnvError(
                f"Task {task} is not a ScienceWorld task (env={task.env!r}, expected {ENV_NAME!r})."
            )
        name = canonical_task_name(task.name)
        n = variation_table([name])[name]["num_variations"]
        if not 0 <= int(task.variation) < n:
            raise EnvError(
                f"Variation {task.variation} of ScienceWorld task {name!r} is out of range: "
                f"it has {n} variations (0..{n - 1})."
            )
        electrical = "power-component" in name or "conductivity" in name
        if electrical and "noElectricalAction" in self.simplification:
            raise EnvError(
                f"Task {name!r} needs electrical actions; drop noElectricalAction from simplification."
            )
        # The JVM call itself: the package's load() re-lists the task names over py4j first (one
        # round trip per name), which we have already validated.
        self._server.load(name, int(task.variation), self.simplification, gold)
        return name

    def reset(self, task: TaskSpec) -> ResetResult:
        name = self._load(task, gold=False)
        self._task, self._score = task, 0
        # A free look: same text as the package's reset ("look around") without a move.
        observation = self._server.freeActionLook()
        return ResetResult(
            observation=observation,
            task_description=self._server.getTaskDescription(),
            info={"task_name": name, "variation": int(task.variation), "split": task.split},
        )

    def step(self, action: str) -> StepResult:
        if self._task is None:
            raise EnvError("ScienceWorldEnv.step called before reset().")
        server = self._server
        try:
            observation = server.step(action)
            raw_score = int(round(100 * server.getScore()))
            completed = bool(server.getCompleted())
            moves = int(server.getNumMoves())
        except Exception as e:
            raise self._jvm_error(e) from e
        failed = raw_score < 0
        score = max(0, raw_score)
        reward, self._score = score - self._score, score
        return StepResult(
            observation=observation,
            reward=float(reward),
            done=completed or failed or moves > self.env_step_limit,
            score=float(score),
            success=completed and raw_score >= 100,
            valid=not any(m in observation for m in INVALID_MARKERS),
            info={
                "moves": moves,
                "raw_score": raw_score,
                "completed": completed,
                "failed": failed,
                "ambiguous": observation.startswith(AMBIGUOUS_MARKER),
            },
        )

    # -- expensive extras, only on request ---------------------------------------------------

    def valid_actions(self) -> list[str]:
        """Every valid action-object combination in the current state (slow: ~200 ms)."""
        return list(self._server.getValidActionObjectCombinations())

    def action_hints(self) -> str:
        """Action templates + visible objects, one line each."""
        # "reset task" would restart the episode under the caller; it is no action for an agent.
        templates = [a for a in self._server.getPossibleActions() if a != "reset task"]
        objects = list(self._server.getPossibleObjects())
        return f"Actions: {', '.join(templates)}\nObjects: {', '.join(objects)}"

    def expert_actions(self, task: TaskSpec) -> list[str] | None:
        """The gold action sequence. Loads ``task`` afresh, so call ``reset`` before stepping again."""
        self._load(task, gold=True)
        self._task = None
        actions = [str(a) for a in self._server.getGoldActionSequence()]
        if not actions or actions[0].startswith("ERROR"):
            return None
        return actions

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            stop_jvm(self._sw)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


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

    def make(self) -> ScienceWorldEnv:
        return ScienceWorldEnv(self.simplification, self.jvm_heap, self.env_step_limit)

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
