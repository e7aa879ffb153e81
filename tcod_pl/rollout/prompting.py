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
    """

    def __init__(
        self,
        system: str | None = DEFAULT_SYSTEM,
        hints: str = "first",
        max_hint_chars: int = 2000,
        hint_lines: list[str] | None = None,
    ):
        if hints not in ("first", "every", "none"):
            raise ValueError(f"hints must be 'first', 'every' or 'none', got {hints!r}")
        self.system = system
        self.hints = hints
        self.max_hint_chars = max_hint_chars
        self.hint_lines = list(hint_lines) if hint_lines else None

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

    def next_message(self, observation: str, hints: str = "") -> str:
        parts = [f"Observation: {observation.strip()}"]
        if self.hints == "every" and hints:
            parts.append(f"Available actions: {self._hints(hints)}")
        return "\n".join(parts)

    @staticmethod
    def format_action(action: str) -> str:
        """How an expert action appears as an assistant response (replays, demonstrations)."""
        return f"<action>{action}</action>"


def parse_action(response: str) -> tuple[str, bool]:
    """The action in ``response`` and whether it was well formed (inside ``<action>`` tags).

    A model without tags may emit the bare action: the text outside ``<think>`` is used as is.
    """
    match = _ACTION.search(response)
    if match is not None:
        return match.group(1).strip(), "</action>" in response[match.start() :]
    bare = _THINK.sub("", response).strip()
    return bare.splitlines()[0].strip() if bare else "", False
