"""The one interface every text environment implements. No model, no torch."""

from __future__ import annotations

import abc
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class TaskSpec:
    """A plain, serialisable task: which environment, which task, which variation, which split."""

    env: str
    name: str
    variation: int = 0
    split: str = "train"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TaskSpec:
        return cls(**d)

    def __str__(self) -> str:
        return f"{self.env}:{self.name}#{self.variation}({self.split})"


@dataclass
class ResetResult:
    observation: str
    task_description: str
    hints: str = ""
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class StepResult:
    observation: str
    reward: float
    done: bool
    score: float = 0.0
    success: bool = False
    valid: bool = True
    hints: str = ""
    info: dict[str, Any] = field(default_factory=dict)


class EnvError(RuntimeError):
    """Bad input to an environment (unknown task, variation out of range, missing data): names the fix."""


class TextEnv(abc.ABC):
    """A text environment: reset to a task, step with an action string."""

    @abc.abstractmethod
    def reset(self, task: TaskSpec) -> ResetResult: ...

    @abc.abstractmethod
    def step(self, action: str) -> StepResult: ...

    def action_hints(self) -> str:
        """Short text a prompt may show: action templates + objects, or admissible commands."""
        return ""

    def expert_actions(self, task: TaskSpec) -> list[str] | None:
        """The expert action sequence for ``task`` (gold path / walkthrough), or None if there is none."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook
        pass


def interleave_by_name(tasks: list[TaskSpec]) -> list[TaskSpec]:
    """Round robin over task names (first variation of each name, then the second, ...), stable."""
    by_name: dict[str, list[TaskSpec]] = {}
    for t in tasks:
        by_name.setdefault(t.name, []).append(t)
    longest = max((len(g) for g in by_name.values()), default=0)
    return [g[i] for i in range(longest) for g in by_name.values() if i < len(g)]


class EnvConfig(abc.ABC):
    """Picklable recipe for an environment: what a worker process needs to build one.

    Subclasses are plain classes with typed ``__init__`` arguments so that LightningCLI
    can build them from YAML (``class_path`` / ``init_args``).
    """

    name: str = "env"

    @abc.abstractmethod
    def make(self) -> TextEnv: ...

    @abc.abstractmethod
    def tasks(self, split: str) -> list[TaskSpec]:
        """The task set of ``split`` (``train`` / ``dev`` / ``test``) in a fixed, deterministic order."""
