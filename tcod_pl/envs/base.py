"""The one interface every text environment implements. No model, no torch."""

from __future__ import annotations

import abc
from collections.abc import Mapping
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

    def task_type(self, task: TaskSpec) -> str:
        """The group a task's outcomes are reported under (per-task-type success); its name here."""
        return task.name

    def cache_key(self) -> str:
        """The config's class and fields as text, equal for equal configs in every process.

        What caches of derived data (expert episodes, evaluations) hash, instead of ``repr``, whose
        default holds a memory address. Fields are ``vars(self)`` in assignment order; callables
        (e.g. an engine factory) are named by module and qualified name; sets are sorted.
        """
        args = ", ".join(f"{k}={_stable(v, k, self)}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"

    def __repr__(self) -> str:
        return self.cache_key()


def _stable(value: Any, name: str, config: EnvConfig) -> str:
    """``repr`` of a field value, made independent of the process (no addresses, no hash order)."""
    if value is None or isinstance(value, bool | int | float | str):
        return repr(value)
    if isinstance(value, list | tuple):
        items = [_stable(v, name, config) for v in value]
        if isinstance(value, tuple):
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        return f"[{', '.join(items)}]"
    if isinstance(value, set | frozenset):
        return "{" + ", ".join(sorted(_stable(v, name, config) for v in value)) + "}"
    if isinstance(value, Mapping):
        return (
            "{"
            + ", ".join(f"{_stable(k, name, config)}: {_stable(v, name, config)}" for k, v in value.items())
            + "}"
        )
    if isinstance(value, EnvConfig):
        return value.cache_key()
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '?')}.{value.__qualname__}"
    text = repr(value)
    if " at 0x" in text:
        raise TypeError(
            f"{type(config).__name__}.{name} = {text} has no stable text form: give its class a "
            f"__repr__ from its fields, or override {type(config).__name__}.cache_key()."
        )
    return text
