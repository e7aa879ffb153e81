"""Normalising an agent's WebShop action against the page's available actions, and the hint text (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tcod_pl.envs.webshop.pages import SEARCH_BUTTON

_BRACKET_RE = re.compile(r"^(search|click)\s*\[(.*)\]\s*\.?$", re.IGNORECASE | re.DOTALL)
_SPACED_RE = re.compile(r"^(search|click)\b\s*:?\s*(.*?)\s*\.?$", re.IGNORECASE | re.DOTALL)

# ------------------------------------------------------------------ actions and hints (pure)


@dataclass(frozen=True)
class NormalisedAction:
    """``action`` is what goes to the engine; ``valid`` says whether the page admits it."""

    action: str
    valid: bool
    reason: str = ""


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`":
        text = text[1:-1].strip()
    return text


def normalise_action(action: str, available: dict[str, Any]) -> NormalisedAction:
    """Map a free-form action to WebShop's ``search[...]`` / ``click[...]`` and validate it.

    Accepts the bracket forms in any case (``Click[Buy Now]``) and spaced forms
    (``search red shoes``, ``click: Buy Now``). Validity follows the page's available actions:
    search needs a search bar and keywords; click needs one of the (lower-case) clickables,
    never the search button itself (``WebAgentTextEnv.step`` refuses ``click[search]``).
    """
    text = _unquote(action)
    m = _BRACKET_RE.match(text) or _SPACED_RE.match(text)
    if m is None:
        return NormalisedAction(text, False, "not a search[...] or click[...] action")
    verb, arg = m.group(1).lower(), _unquote(m.group(2))
    if verb == "search":
        if not arg:
            return NormalisedAction("search[]", False, "search needs keywords")
        if not available.get("has_search_bar", False):
            return NormalisedAction(f"search[{arg}]", False, "no search bar on this page")
        return NormalisedAction(f"search[{arg}]", True)
    key = arg.lower()  # the engine lower-cases click arguments before matching
    clickables = {str(c).lower() for c in available.get("clickables", [])}
    if key == SEARCH_BUTTON:
        return NormalisedAction(f"click[{key}]", False, "use search[<keywords>] instead of click[search]")
    if key not in clickables:
        return NormalisedAction(f"click[{key}]", False, f"'{arg}' is not clickable on this page")
    return NormalisedAction(f"click[{key}]", True)


def format_hints(available: dict[str, Any]) -> str:
    """Admissible actions of the current page, one per line (empty on the done page)."""
    lines = []
    if available.get("has_search_bar", False):
        lines.append("search[<keywords>]")
    lines += [f"click[{c}]" for c in available.get("clickables", []) if c != SEARCH_BUTTON]
    return "Available actions:\n" + "\n".join(lines) if lines else ""
