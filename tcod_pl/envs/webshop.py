"""WebShop adapter over the benchmark's own text environment (``web_agent_site``).

WebShop (princeton-nlp/WebShop) is not on any package registry: users clone it, run its
``setup.sh`` (product data + Lucene search index) and point ``WEBSHOP_PATH`` at the clone.
This module never imports the engine at import time; parsing and action formatting are pure
functions so that they can be tested against recorded observations without the engine.

Observation format (``observation_mode="text"``, from ``WebAgentTextEnv.convert_html_to_text``
in ``web_agent_site/envs/web_agent_text_env.py``): the page's visible text nodes joined by
``" [SEP] "``. ``"text_rich"`` puts one node per line and marks buttons as
``[button] X [button_]`` / ``[clicked button] X [clicked button_]``; both are parsed here.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import os
import random
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tcod_pl.envs.base import EnvConfig, EnvError, ResetResult, StepResult, TaskSpec, TextEnv

ENV_NAME = "webshop"
SEARCH_BUTTON = "search"  # the search page's submit button; the engine refuses click[search]
DONE_MARKER = "Thank you for shopping with us!"
SCORE_LABEL = "Your score (min 0.0, max 1.0)"
OBSERVATION_MODES = ("text", "text_rich")
# web_agent_site.engine.engine.init_search_engine only has indexes for these sizes.
INDEX_DIRS = {None: "indexes", 100: "indexes_100", 1000: "indexes_1k", 100000: "indexes_100k"}

INSTALL_HINT = (
    "WebShop's engine (`web_agent_site`) is not installed and is not on PyPI. To use WebShop: "
    "git clone https://github.com/princeton-nlp/WebShop ; in that clone run ./setup.sh -d all "
    "(or -d small) in a Python env that this project also runs in, which installs its requirements, "
    "downloads the product data and builds the search index; then set WEBSHOP_PATH=/path/to/WebShop "
    "(or pass webshop_path=... to WebShopConfig)."
)

# Results-page header. Current templates render "Page 1 (Total results: 50)"; older commits
# of results_page.html rendered "Page 1 (1-10) of 50 total results".
_PAGE_RE = re.compile(r"^Page (\d+) \((?:Total results: (\d+)\)|[^)]*\) of (\d+) total results)")
_ASIN_RE = re.compile(r"^[A-Z0-9]{10}$")
_RICH_BUTTON_RE = re.compile(r"^\[(clicked )?button\]\s?(.*?)\s?\[(?:clicked )?button_\]$")
_BRACKET_RE = re.compile(r"^(search|click)\s*\[(.*)\]\s*\.?$", re.IGNORECASE | re.DOTALL)
_SPACED_RE = re.compile(r"^(search|click)\b\s*:?\s*(.*?)\s*\.?$", re.IGNORECASE | re.DOTALL)


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


# ------------------------------------------------------------------------- engine location


def locate_webshop(webshop_path: str | None = None) -> Path:
    """Make ``web_agent_site`` importable (installed, ``webshop_path`` or ``WEBSHOP_PATH``) or raise.

    Returns the WebShop root: the folder that holds ``web_agent_site/``, ``data/`` and
    ``search_engine/`` (WebShop resolves its data relative to the package).
    """
    path = webshop_path or os.environ.get("WEBSHOP_PATH")
    if path:
        root = Path(path).expanduser().resolve()
        if not (root / "web_agent_site").is_dir():
            raise EnvError(f"WEBSHOP_PATH={root} has no web_agent_site/ folder. {INSTALL_HINT}")
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        return root
    spec = importlib.util.find_spec("web_agent_site")
    if spec is None:
        raise EnvError(INSTALL_HINT)
    locations = list(spec.submodule_search_locations or [])
    package_dir = Path(locations[0]) if locations else Path(str(spec.origin)).parent
    return package_dir.resolve().parent


def _check_data(root: Path, num_products: int | None) -> None:
    """WebShop's setup.sh downloads data/ and builds search_engine/<index>; check before a slow load."""
    index = root / "search_engine" / INDEX_DIRS[num_products]
    missing = [str(p) for p in (root / "data", index) if not p.is_dir()]
    if missing:
        raise EnvError(
            f"WebShop found at {root} but its data is missing: {', '.join(missing)}. "
            f"Run ./setup.sh -d all (or -d small) in {root}; num_products={num_products} needs "
            f"search_engine/{INDEX_DIRS[num_products]} (see WebShop's search_engine/ scripts)."
        )


def _default_engine(config: WebShopConfig) -> Any:
    """Build WebShop's ``WebAgentTextEnv`` (loads products + search index: slow, GBs of RAM)."""
    _check_data(locate_webshop(config.webshop_path), config.num_products)
    try:
        module = importlib.import_module("web_agent_site.envs.web_agent_text_env")
    except ImportError as e:  # web_agent_site found, but its requirements (gym, pyserini, ...) are not
        raise EnvError(f"WebShop found but cannot be imported ({e}). {INSTALL_HINT}") from e
    # get_goals() samples price bounds with the global `random`; seed it so that session i
    # has the same instruction in every worker process.
    if config.seed is not None:
        random.seed(config.seed)
    try:
        return module.WebAgentTextEnv(
            observation_mode=config.observation_mode,
            num_products=config.num_products,
            human_goals=config.human_goals,
        )
    except OSError as e:  # data files the check above does not know about
        raise EnvError(
            f"WebShop data or search index missing ({e}); run WebShop's setup.sh. {INSTALL_HINT}"
        ) from e


# ---------------------------------------------------------------------------- env + config


EngineFactory = Callable[["WebShopConfig"], Any]


class WebShopEnv(TextEnv):
    """Adapter over a ``WebAgentTextEnv``-like engine: ``reset(session=i)``, ``step(str)``,
    ``get_available_actions()``; task variation = WebShop session (goal) index.
    """

    def __init__(self, config: WebShopConfig | None = None, engine_factory: EngineFactory | None = None):
        self.config = config or WebShopConfig()
        self._factory = engine_factory or self.config.engine_factory
        if self._factory is None:
            locate_webshop(self.config.webshop_path)  # fail fast, before any episode
            self._factory = _default_engine
        self._engine: Any = None
        self._available: dict[str, Any] = {"has_search_bar": False, "clickables": []}
        self._done = True
        self._demos: tuple[dict[int, list[str]], dict[str, list[str]]] | None = None

    @property
    def engine(self) -> Any:
        if self._engine is None:  # built on first use: loading WebShop takes minutes
            self._engine = self._factory(self.config)
        return self._engine

    def _num_goals(self) -> int | None:
        goals = getattr(getattr(self.engine, "server", None), "goals", None)
        return len(goals) if goals is not None else None

    def _goal_instruction(self, idx: int) -> str | None:
        goals = getattr(getattr(self.engine, "server", None), "goals", None)
        if goals is None or not 0 <= idx < len(goals):
            return None
        return goals[idx].get("instruction_text")

    def reset(self, task: TaskSpec) -> ResetResult:
        if task.env != ENV_NAME:
            raise EnvError(f"WebShopEnv got a task for {task.env!r}: {task}")
        n = self._num_goals()
        if task.variation < 0 or (n is not None and task.variation >= n):
            raise EnvError(
                f"WebShop session {task.variation} out of range: this engine has {n} goals (0..{n - 1})"
            )
        obs, _ = self.engine.reset(session=int(task.variation))
        self._available = self.engine.get_available_actions()
        self._done = False
        page = parse_observation(obs, self._available.get("clickables"))
        instruction = page.instruction or _strip_label(getattr(self.engine, "instruction_text", "") or "")
        return ResetResult(
            observation=obs,
            task_description=instruction,
            hints=format_hints(self._available),
            info={"session": task.variation, "page": page.kind},
        )

    def step(self, action: str) -> StepResult:
        if self._done:
            raise EnvError("WebShop episode is over (purchase made or never reset); call reset(task) first")
        norm = normalise_action(action, self._available)
        # Invalid actions still go to the engine, which decides what they do: unknown clicks are
        # no-ops, while search[...] on a page without a search bar still searches in WebShop.
        obs, reward, done, _ = self.engine.step(norm.action)
        reward = float(reward or 0.0)
        self._done = bool(done)
        self._available = (
            {"has_search_bar": False, "clickables": []} if done else self.engine.get_available_actions()
        )
        page = parse_observation(obs, self._available.get("clickables"))
        info: dict[str, Any] = {"action": norm.action, "page": page.kind}
        if not norm.valid:
            info["invalid_reason"] = norm.reason
        if page.kind == "done":
            info.update(purchased_asin=page.purchased_asin, purchased_options=page.purchased_options)
        return StepResult(
            observation=obs,
            reward=reward,
            done=self._done,
            score=reward * 100.0,
            success=self._done and math.isclose(reward, 1.0),
            valid=norm.valid,
            hints=format_hints(self._available),
            info=info,
        )

    def action_hints(self) -> str:
        return format_hints(self._available)

    def available_actions(self) -> dict[str, Any]:
        """The engine's ``get_available_actions()`` for the current page (cached)."""
        return dict(self._available)

    def expert_actions(self, task: TaskSpec) -> list[str] | None:
        """Human demonstration for ``task`` from ``config.demonstrations``; None when there is none.

        Instruction-keyed demonstrations are matched against the engine's goal text, so they
        build the engine; session-keyed ones do not. Formats: :func:`load_demonstrations`.
        """
        if not self.config.demonstrations:
            return None  # WebShop's human trajectories are not bundled with the engine
        if self._demos is None:
            self._demos = load_demonstrations(self.config.demonstrations)
        by_session, by_instruction = self._demos
        if task.variation in by_session:
            return list(by_session[task.variation])
        if by_instruction:
            instruction = self._goal_instruction(task.variation)
            if instruction and _norm_text(instruction) in by_instruction:
                return list(by_instruction[_norm_text(instruction)])
        return None

    def close(self) -> None:
        if self._engine is not None and hasattr(self._engine, "close"):
            self._engine.close()
        self._engine = None


def _strip_label(text: str) -> str:
    text = text.strip()
    return text[len("Instruction:") :].strip() if text.startswith("Instruction:") else text


class WebShopConfig(EnvConfig):
    """Recipe for :class:`WebShopEnv`. Sessions are WebShop goal indices; the paper trains on
    0-4095 and tests on 4096-4195 (no separate dev set: dev defaults to the test range).
    """

    name = ENV_NAME

    def __init__(
        self,
        webshop_path: str | None = None,
        observation_mode: str = "text",
        num_products: int | None = None,
        human_goals: bool = True,
        train_sessions: str = "0-4095",
        dev_sessions: str = "4096-4195",
        test_sessions: str = "4096-4195",
        demonstrations: str | None = None,
        seed: int | None = 0,
        engine_factory: EngineFactory | None = None,
    ):
        if observation_mode not in OBSERVATION_MODES:
            raise EnvError(
                f"WebShop observation_mode must be one of {OBSERVATION_MODES}, got {observation_mode!r}"
            )
        if num_products not in INDEX_DIRS:
            raise EnvError(
                f"WebShop num_products must be one of {sorted(INDEX_DIRS, key=str)}, got {num_products}"
            )
        self.webshop_path = webshop_path
        self.observation_mode = observation_mode
        self.num_products = num_products
        self.human_goals = human_goals
        self.train_sessions = train_sessions
        self.dev_sessions = dev_sessions
        self.test_sessions = test_sessions
        self.demonstrations = demonstrations
        self.seed = seed
        self.engine_factory = engine_factory  # must be picklable (a module-level callable) for workers

    def make(self) -> WebShopEnv:
        return WebShopEnv(self)

    def tasks(self, split: str) -> list[TaskSpec]:
        specs = {"train": self.train_sessions, "dev": self.dev_sessions, "test": self.test_sessions}
        if split not in specs:
            raise EnvError(f"unknown WebShop split {split!r}; use one of {sorted(specs)}")
        return [TaskSpec(ENV_NAME, ENV_NAME, i, split) for i in parse_sessions(specs[split])]
