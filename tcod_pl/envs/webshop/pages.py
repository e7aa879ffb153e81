"""Parsing WebShop's text observations into pages (pure functions, tested on recorded pages).

Observation format (``observation_mode="text"``, from ``WebAgentTextEnv.convert_html_to_text``
in ``web_agent_site/envs/web_agent_text_env.py``): the page's visible text nodes joined by
``" [SEP] "``. ``"text_rich"`` puts one node per line and marks buttons as
``[button] X [button_]`` / ``[clicked button] X [clicked button_]``; both are parsed here."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

SEARCH_BUTTON = "search"  # the search page's submit button; the engine refuses click[search]
DONE_MARKER = "Thank you for shopping with us!"
SCORE_LABEL = "Your score (min 0.0, max 1.0)"

# Results-page header. Current templates render "Page 1 (Total results: 50)"; older commits
# of results_page.html rendered "Page 1 (1-10) of 50 total results".
_PAGE_RE = re.compile(r"^Page (\d+) \((?:Total results: (\d+)\)|[^)]*\) of (\d+) total results)")
_ASIN_RE = re.compile(r"^[A-Z0-9]{10}$")
_RICH_BUTTON_RE = re.compile(r"^\[(clicked )?button\]\s?(.*?)\s?\[(?:clicked )?button_\]$")


# --------------------------------------------------------------------------- parsing (pure)


@dataclass
class Product:
    asin: str
    title: str
    price: str = ""


@dataclass
class WebShopPage:
    """One parsed WebShop observation. ``kind``: search, results, item, item_sub, done or unknown."""

    kind: str
    instruction: str = ""
    segments: list[str] = field(default_factory=list)  # text after the instruction, in order
    page: int | None = None
    total: int | None = None
    products: list[Product] = field(default_factory=list)
    title: str | None = None
    price: str | None = None
    rating: str | None = None
    options: dict[str, list[str]] = field(default_factory=dict)
    selected: list[str] = field(default_factory=list)  # only text_rich shows selected options
    reward: float | None = None
    purchased_asin: str | None = None
    purchased_options: dict[str, Any] = field(default_factory=dict)


def split_segments(observation: str) -> tuple[list[str], list[str]]:
    """Split an observation into visible text segments; also return clicked options (text_rich)."""
    if "[SEP]" in observation:
        return [s.strip() for s in observation.split("[SEP]") if s.strip()], []
    segments: list[str] = []
    selected: list[str] = []
    for line in observation.splitlines():
        line = line.strip()
        if not line or (line.startswith("You have clicked ") and line.endswith(".")):
            continue  # text_rich prepends one such line per selected option; `selected` keeps it
        m = _RICH_BUTTON_RE.match(line)
        if m:
            line = m.group(2).strip()
            if m.group(1):
                selected.append(line)
        segments.append(line)
    return segments, selected


def _split_instruction(segments: list[str]) -> tuple[str, list[str]]:
    """Return (instruction, the segments after it); pages start [WebShop,] Instruction:, <text>."""
    i = 1 if segments and segments[0] == "WebShop" else 0
    if i < len(segments) and segments[i].startswith("Instruction:"):
        head = segments[i][len("Instruction:") :].strip()
        if head:  # "Instruction: <text>" in one node
            rest = segments[i + 1 :]
        else:
            head = segments[i + 1] if i + 1 < len(segments) else ""
            rest = segments[i + 2 :]
        # Older templates add a "Current Query: ..." header; it is not page content.
        if rest and rest[0].startswith("Current Query:"):
            rest = rest[1:]
        return head, rest
    return "", segments[i:]


def _value_after(segments: list[str], label: str) -> str | None:
    try:
        return segments[segments.index(label) + 1]
    except (ValueError, IndexError):
        return None


def _parse_done(segments: list[str]) -> WebShopPage:
    page = WebShopPage(kind="done", segments=segments)
    score = _value_after(segments, SCORE_LABEL)
    if score is not None:
        try:
            page.reward = float(score)
        except ValueError:
            pass
    asin = _value_after(segments, "asin")
    if asin is not None and _ASIN_RE.match(asin):
        page.purchased_asin = asin
    opts = _value_after(segments, "options")
    if opts is not None and opts.startswith("{"):
        try:
            page.purchased_options = json.loads(opts)
        except json.JSONDecodeError:
            pass
    return page


def _parse_results(page: WebShopPage, clickables: set[str] | None) -> None:
    current: Product | None = None
    for seg in page.segments:
        is_asin = _ASIN_RE.match(seg) and (clickables is None or seg.lower() in clickables)
        if is_asin:
            current = Product(asin=seg, title="")
            page.products.append(current)
        elif current is not None and not current.title:
            current.title = seg
        elif current is not None and not current.price and seg.startswith("$"):
            current.price = seg


def _parse_item(page: WebShopPage, clickables: set[str] | None) -> None:
    segs = page.segments
    price_at = next((i for i, s in enumerate(segs) if s.startswith("Price:")), None)
    if price_at is None:
        return
    page.price = segs[price_at][len("Price:") :].strip()
    page.title = segs[price_at - 1] if price_at > 0 else None
    rating = next((s for s in segs[price_at:] if s.startswith("Rating:")), None)
    page.rating = rating[len("Rating:") :].strip() if rating else None
    start = segs.index("< Prev") + 1 if "< Prev" in segs else 0
    block = segs[start : max(start, price_at - 1)]
    # Option names and values are both plain text in "text" mode; the engine's clickables
    # (option values are clickable, names are not) are what tells them apart.
    if clickables is None:
        return
    name: str | None = None
    for seg in block:
        if seg in clickables and name is not None:
            page.options[name].append(seg)
        elif seg not in clickables:
            name = seg
            page.options.setdefault(name, [])


def parse_observation(observation: str, clickables: list[str] | None = None) -> WebShopPage:
    """Parse a WebShop text / text_rich observation into a :class:`WebShopPage`.

    ``clickables`` (from ``get_available_actions()``) lets the parser separate item option names
    from option values and product ASINs from other text; without it options stay empty.
    """
    segments, selected = split_segments(observation)
    click_set = set(clickables) if clickables is not None else None
    if segments and segments[0].startswith(DONE_MARKER):
        return _parse_done(segments)
    instruction, rest = _split_instruction(segments)
    page = WebShopPage(kind="unknown", instruction=instruction, segments=rest, selected=selected)
    header = next((m for m in map(_PAGE_RE.match, rest) if m), None)
    if segments[:1] == ["WebShop"] and rest == ["Search"]:
        page.kind = "search"
    elif header is not None:
        page.kind = "results"
        page.page = int(header.group(1))
        page.total = int(header.group(2) or header.group(3))
        _parse_results(page, click_set)
    elif "Buy Now" in rest:
        page.kind = "item"
        _parse_item(page, click_set)
    elif "< Prev" in rest:
        page.kind = "item_sub"  # Description / Features / Reviews / Attributes
    return page
