"""How deep one training episode goes: one small strategy class per depth mode.

A rule answers two questions the rollout runner asks of every episode: how many of the task's
expert actions to replay first (context, or demonstrations for ``Expert``), and how many turns the
student then plays. A new mode is a new subclass here (its ``name`` is what configs write in
``curriculum.mode``) and a config that uses it; the runner and the curriculum do not change.
"""

from __future__ import annotations

from typing import ClassVar

RULES: dict[str, type[DepthRule]] = {}


class DepthRule:
    """The depth of the episodes of one rollout batch (``depth`` = the curriculum's k, or None)."""

    name: ClassVar[str]
    uses_depth: ClassVar[bool] = True  # a curriculum mode: k comes from a schedule
    needs_expert: ClassVar[bool] = False  # the runner must be given each task's expert actions
    supervises_replay: ClassVar[bool] = False  # replayed expert turns carry the loss (demonstrations)

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            RULES[cls.name] = cls

    def __init__(self, depth: int | None = None, max_turns: int = 30):
        if max_turns < 1:
            raise ValueError(f"max_turns must be >= 1, got {max_turns}")
        if self.uses_depth and (depth is None or depth < 1):
            raise ValueError(f"mode {self.name!r} needs depth >= 1, got {depth}")
        self.depth = depth if self.uses_depth else None
        self.max_turns = max_turns

    @property
    def mode(self) -> str:
        return self.name

    def replay_length(self, expert_len: int | None) -> int:
        """Expert actions replayed before the student acts (``expert_len`` None: no expert)."""
        return 0

    def student_budget(self, replayed: int) -> int:
        """Turns the student plays after ``replayed`` replayed ones."""
        return self.max_turns - replayed

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(depth={self.depth}, max_turns={self.max_turns})"


class Full(DepthRule):
    """The student acts until done or ``max_turns``: vanilla OPD, and every evaluation."""

    name = "full"
    uses_depth = False


class F2B(DepthRule):
    """TCOD-F2B: the episode is cut after ``depth`` student turns."""

    name = "f2b"

    def student_budget(self, replayed: int) -> int:
        return min(self.depth, self.max_turns)


class B2F(DepthRule):
    """TCOD-B2F: replay the first max(0, L - depth) expert actions, then the student acts until done
    or ``max_turns`` turns in all; a task without an expert plays in full."""

    name = "b2f"
    needs_expert = True

    def replay_length(self, expert_len: int | None) -> int:
        if expert_len is None:
            return 0
        return min(max(0, expert_len - self.depth), self.max_turns)


class Expert(DepthRule):
    """Every action is the expert's and is supervised: behaviour-cloning data."""

    name = "expert"
    uses_depth = False
    needs_expert = True
    supervises_replay = True

    def replay_length(self, expert_len: int | None) -> int:
        return expert_len or 0

    def student_budget(self, replayed: int) -> int:
        return 0


def curriculum_modes() -> tuple[str, ...]:
    """The modes a curriculum can drive with a schedule (those whose rule takes a depth)."""
    return tuple(name for name, rule in RULES.items() if rule.uses_depth)


def make_rule(mode: str, depth: int | None, max_turns: int) -> DepthRule:
    """The rule of ``mode`` at ``depth``; ``depth=None`` always means full episodes."""
    if mode not in RULES:
        raise ValueError(f"rollout mode must be one of {tuple(RULES)}, got {mode!r}")
    if depth is None and RULES[mode].uses_depth:
        return Full(None, max_turns)
    return RULES[mode](depth, max_turns)
