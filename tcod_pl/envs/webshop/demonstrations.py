"""WebShop sessions (goal indices) and human demonstrations (the expert for B2F and SFT)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tcod_pl.envs.base import EnvError
from tcod_pl.envs.webshop.pages import parse_observation


def parse_sessions(spec: str) -> list[int]:
    """``"0-4095"`` / ``"0-9,20,30-39"`` -> sorted unique session indices (ranges inclusive)."""
    out: set[int] = set()
    for part in str(spec).split(","):
        part = part.strip()
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        try:
            a, b = (int(lo), int(hi)) if sep else (int(lo), int(lo))
        except ValueError as e:
            raise EnvError(f"bad WebShop session range {part!r} in {spec!r}; use e.g. '0-4095,5000'") from e
        if a < 0 or b < a:
            raise EnvError(f"bad WebShop session range {part!r} in {spec!r}")
        out.update(range(a, b + 1))
    return sorted(out)


def _norm_text(text: str) -> str:
    return " ".join(text.lower().split())


def load_demonstrations(path: str | os.PathLike[str]) -> tuple[dict[int, list[str]], dict[str, list[str]]]:
    """Read demonstrations: (actions by session, actions by normalised instruction text).

    Accepted (``.json``, or ``.jsonl`` with one record a line):
    * ``{"<session>": ["search[...]", "click[...]", ...], ...}``;
    * records ``{"session": 12, "actions": [...]}``;
    * records keyed by instruction: ``{"instruction": "...", "actions": [...]}``, or WebShop's
      human-trajectory records (``baseline_models/data/il_trajs_*.jsonl``) with ``"states"`` (the
      first state is the search page, which holds the instruction) and ``"actions"``.
    """
    p = Path(path)
    if not p.is_file():
        raise EnvError(f"WebShop demonstrations file not found: {p}")
    text = p.read_text()
    data: Any = (
        [json.loads(x) for x in text.splitlines() if x.strip()] if p.suffix == ".jsonl" else json.loads(text)
    )
    by_session: dict[int, list[str]] = {}
    by_instruction: dict[str, list[str]] = {}
    if isinstance(data, dict):
        return {int(k): [str(a) for a in v] for k, v in data.items()}, {}
    for rec in data:
        actions = [str(a) for a in rec.get("actions", [])]
        if "session" in rec:
            by_session[int(rec["session"])] = actions
        elif "instruction" in rec:
            by_instruction[_norm_text(rec["instruction"])] = actions
        elif rec.get("states"):
            instruction = parse_observation(rec["states"][0]).instruction
            if instruction:
                by_instruction[_norm_text(instruction)] = actions
    return by_session, by_instruction
