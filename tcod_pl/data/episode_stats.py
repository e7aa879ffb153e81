"""Per-episode statistics of the student's responses, computed from finished Episodes alone.

They make a degenerate student visible while it trains: runs of whitespace or repeated tokens
where an object name belongs, empty actions, and how often an action names an object that the
prompt listed (the *copying rate*: a small student that cannot copy a name from its context is
the failure OPD then amplifies). Only the student's own generated turns count (B2F replays and
demonstrations are text-only turns). A rate with no turn to measure is NaN: averaged with NaNs
ignored, never as a zero.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from tcod_pl.data.episode import Episode, Turn

# The line of a prompt that lists the objects in view: ScienceWorld's action hints write
# "Objects: a, b, c" (``ScienceWorldEnv.action_hints``), which ``AgentPrompt`` shows after
# "Available actions: " (on the same line when only the Objects line is kept).
_OBJECTS = re.compile(r"(?:^|\s)Objects:(.*)$", re.MULTILINE)

STATS = ("empty_action_rate", "whitespace_token_rate", "repeat_token_rate", "copy_rate")


def listed_objects(message: str) -> list[str]:
    """The object names of the last ``Objects:`` list of a prompt message (empty if none)."""
    found = _OBJECTS.findall(message)
    if not found:
        return []
    return [n for n in (n.strip() for n in found[-1].split(",")) if n]


def names_object(action: str, objects: list[str]) -> bool:
    """Whether ``action`` contains one of ``objects`` as whole words (case and spacing ignored)."""
    padded = f" {' '.join(action.lower().split())} "
    return any(f" {' '.join(o.lower().split())} " in padded for o in objects)


def _rate(hits: list[bool]) -> float:
    return sum(hits) / len(hits) if hits else math.nan


class ResponseStats:
    """Computes :data:`STATS` for episodes; ``decode`` maps one token id to its text.

    With a tokenizer: ``ResponseStats(lambda i: tokenizer.decode([i]))``.
    """

    def __init__(self, decode: Callable[[int], str]):
        self._decode = decode
        self._blank: dict[int, bool] = {}

    def is_blank(self, token_id: int) -> bool:
        """A token whose text is whitespace only (a space, a newline, a run of them)."""
        if token_id not in self._blank:
            text = self._decode(token_id)
            self._blank[token_id] = bool(text) and not text.strip()
        return self._blank[token_id]

    def __call__(self, episode: Episode) -> dict[str, float]:
        acted: list[Turn] = [t for t in episode.turns if t.response_ids is not None]
        ids = [t.response_ids for t in acted]
        tokens = [i for r in ids for i in r]
        repeats = [b == a for r in ids for a, b in zip(r, r[1:])]
        shown = [(t, listed_objects(t.observation)) for t in acted]
        return {
            "empty_action_rate": _rate([not t.action.strip() for t in acted]),
            "whitespace_token_rate": _rate([self.is_blank(i) for i in tokens]),
            # over all generated tokens, the first of each response counting as not repeated
            "repeat_token_rate": sum(repeats) / len(tokens) if tokens else math.nan,
            "copy_rate": _rate([names_object(t.action, objs) for t, objs in shown if objs]),
        }
