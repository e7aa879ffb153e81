"""A finished multi-turn episode: what rollouts produce and packing consumes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tcod_pl.errors import ConfigError
from tcod_pl.storage import atomic_write_text


@dataclass
class Turn:
    """One agent turn: the user message it saw, what it answered, and what the environment said."""

    observation: str
    response: str
    # Exactly the generated ids (and their behaviour log-probs); None for text-only turns
    # (expert replay, demonstrations), which are tokenised from ``response``.
    response_ids: list[int] | None = None
    logprobs: list[float] | None = None
    supervised: bool = True
    reward: float = 0.0
    score: float = 0.0
    done: bool = False
    valid: bool = True
    action: str = ""


@dataclass
class Episode:
    task: dict[str, Any]
    turns: list[Turn] = field(default_factory=list)
    system: str | None = None
    success: bool = False
    score: float = 0.0  # the best score reached in the episode (the reference's ScienceWorld metric)
    final_score: float = 0.0  # the score after the last step (0 when the task failed at the end)
    failed: str | None = None  # an environment failure (crashed worker, timeout), with its reason
    expert_prefix: int = 0  # B2F: number of replayed expert turns at the start
    # B2F with a "summary" context: turns before this index were replayed outside the student's
    # chat (kept for the record); the chat starts at turns[chat_start], whose message summarises them.
    chat_start: int = 0
    # An expert demonstration mixed into on-policy training (RolloutDataModule's
    # on_policy_fraction): its supervised tokens are not the student's samples.
    demonstration: bool = False

    @property
    def num_supervised(self) -> int:
        return sum(t.supervised for t in self.turns)

    @property
    def rounds(self) -> int:
        return len(self.turns)

    @property
    def invalid_rate(self) -> float:
        acted = [t for t in self.turns if t.supervised or t.response_ids is not None]
        return sum(not t.valid for t in acted) / len(acted) if acted else 0.0

    @property
    def chat_turns(self) -> list[Turn]:
        """The turns of the chat the student saw (all turns, unless B2F replayed some outside it)."""
        return self.turns[self.chat_start :]

    def messages(self, upto: int | None = None, with_last_response: bool = True) -> list[dict[str, str]]:
        """Chat messages of the first ``upto`` chat turns (all by default)."""
        turns = self.chat_turns if upto is None else self.chat_turns[:upto]
        msgs = [{"role": "system", "content": self.system}] if self.system else []
        for i, turn in enumerate(turns):
            msgs.append({"role": "user", "content": turn.observation})
            if with_last_response or i < len(turns) - 1:
                msgs.append({"role": "assistant", "content": turn.response})
        return msgs

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Episode:
        d = dict(d)
        d["turns"] = [Turn(**t) for t in d.get("turns", [])]
        return cls(**d)


def save_episodes(episodes: Iterable[Episode], path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, "".join(json.dumps(ep.to_dict()) + "\n" for ep in episodes))


def load_episodes(path: str | Path) -> list[Episode]:
    return list(iter_episodes(path))


def iter_episodes(path: str | Path) -> Iterator[Episode]:
    """The episodes of a JSONL file; a malformed line is one error naming file and line.

    Not skipped: these files are training data (expert caches, gold episodes, saved panels), and
    a dropped line would silently change what trains or what a figure counts.
    """
    with Path(path).open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                episode = Episode.from_dict(json.loads(line))
            except (ValueError, TypeError, KeyError) as err:
                raise ConfigError(
                    f"{path}:{number} is not an episode ({type(err).__name__}: {str(err)[:80]}): this "
                    "project writes these files whole, so it was edited or copied in part; fix or delete "
                    "the line (a deleted expert cache is rebuilt)"
                ) from None
            yield episode
