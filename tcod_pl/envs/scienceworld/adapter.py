"""ScienceWorld adapter: one JVM per env object, cheap steps, task sets from the env's own splits.

The package's ``ScienceWorldEnv.step`` lists every valid action-object combination on each call
(~15x the cost of the step itself), so :meth:`ScienceWorldEnv.step` talks to the JVM-side
``PythonInterface`` directly and computes that list only in :meth:`ScienceWorldEnv.valid_actions`.
"""

from __future__ import annotations

import contextlib

from tcod_pl.envs.base import EnvError, ResetResult, StepResult, TaskSpec, TextEnv
from tcod_pl.envs.scienceworld.jvm import start_jvm, stop_jvm
from tcod_pl.envs.scienceworld.tasks import (
    ENV_NAME,
    canonical_task_name,
    check_simplification,
    variation_table,
)

# Engine messages that mean "the input matched no action" (the step consumed nothing).
INVALID_MARKERS = ("No known action matches that input.",)
AMBIGUOUS_MARKER = "Ambiguous request"

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
        self,
        simplification: str = "easy",
        jvm_heap: str | None = "768m",
        env_step_limit: int = 100,
        stable_object_order: bool = True,
    ):
        self.simplification = check_simplification(simplification)
        self.env_step_limit = env_step_limit
        self._sw = start_jvm(jvm_heap, env_step_limit, stable_object_order)
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
