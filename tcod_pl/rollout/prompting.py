"""What the agent sees each turn, and how its action is read back out of its response."""

from __future__ import annotations

import re

DEFAULT_SYSTEM = (
    "You are an agent acting in a text environment. Each turn, reason briefly if useful inside "
    "<think>...</think>, then give exactly one action inside <action>...</action>."
)

_ACTION = re.compile(r"<action>(.*?)(?:</action>|$)", re.DOTALL)
_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)


class AgentPrompt:
    """Builds user messages; history accumulates as chat turns, so each prompt extends the last.

    ``hints``: where to show the environment's action hints (templates + objects, or admissible
    commands): ``"first"`` turn only, ``"every"`` turn, or ``"none"``.
    ``hint_lines``: keep only the hint lines that start with one of these prefixes (e.g.
    ``["Objects"]`` shows ScienceWorld's visible objects without the fixed action templates);
    None keeps every line.
    ``task_every_turn``: restate the task line in every user message, not only the first (the
    paper's prompt: task + recent history + current observation), so a detail the task names (a
    room, a box's colour) stays next to the turn that needs it.
    """

    def __init__(
        self,
        system: str | None = DEFAULT_SYSTEM,
        hints: str = "first",
        max_hint_chars: int = 2000,
        hint_lines: list[str] | None = None,
        task_every_turn: bool = False,
    ):
        if hints not in ("first", "every", "none"):
            raise ValueError(f"hints must be 'first', 'every' or 'none', got {hints!r}")
        self.system = system
        self.hints = hints
        self.max_hint_chars = max_hint_chars
        self.hint_lines = list(hint_lines) if hint_lines else None
        self.task_every_turn = task_every_turn

    def _hints(self, hints: str) -> str:
        if self.hint_lines is not None:
            keep = tuple(self.hint_lines)
            hints = "\n".join(line for line in hints.splitlines() if line.startswith(keep))
        return hints[: self.max_hint_chars]

    @property
    def wants_hints(self) -> bool:
        return self.hints != "none"

    def first_message(self, task_description: str, observation: str, hints: str = "") -> str:
        parts = [f"Task: {task_description.strip()}", f"Observation: {observation.strip()}"]
        if self.hints != "none" and hints:
            parts.append(f"Available actions: {self._hints(hints)}")
        return "\n".join(parts)

    def resume_message(
        self,
        task_description: str,
        replayed: list[tuple[str, str]],
        observation: str,
        hints: str = "",
        last: int = 2,
        max_chars: int = 300,
    ) -> str:
        """First message of a fresh chat after a B2F replay (the reference's "summary" context).

        ``replayed`` holds (action, observation it produced) of every replayed step; the message
        names how many there were and summarises the ``last`` of them (observations cut to
        ``max_chars``); the last step's observation is the current one, shown in full.
        """
        steps = replayed[-last:]
        first = len(replayed) - len(steps) + 1
        lines = [f"Task: {task_description.strip()}"]
        lines.append(f"Progress: {len(replayed)} steps were taken already. The last {len(steps)}:")
        for i, (action, seen) in enumerate(steps, first):
            result = "" if i == len(replayed) else f" -> {_one_line(seen, max_chars)}"
            lines.append(f"Step {i}: {action}{result}")
        lines.append(f"Observation: {observation.strip()}")
        if self.hints != "none" and hints:
            lines.append(f"Available actions: {self._hints(hints)}")
        return "\n".join(lines)

    def next_message(self, observation: str, hints: str = "", task_description: str = "") -> str:
        parts = [f"Observation: {observation.strip()}"]
        if self.task_every_turn and task_description:
            parts.insert(0, f"Task: {task_description.strip()}")
        if self.hints == "every" and hints:
            parts.append(f"Available actions: {self._hints(hints)}")
        return "\n".join(parts)

    @staticmethod
    def format_action(action: str) -> str:
        """How an expert action appears as an assistant response (replays, demonstrations)."""
        return f"<action>{action}</action>"


def _one_line(text: str, max_chars: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= max_chars else flat[: max_chars - 3] + "..."


def parse_action(response: str) -> tuple[str, bool]:
    """The action in ``response`` and whether it was well formed (inside ``<action>`` tags).

    A model without tags may emit the bare action: the text outside ``<think>`` is used as is.
    """
    match = _ACTION.search(response)
    if match is not None:
        return match.group(1).strip(), "</action>" in response[match.start() :]
    bare = _THINK.sub("", response).strip()
    return bare.splitlines()[0].strip() if bare else "", False
