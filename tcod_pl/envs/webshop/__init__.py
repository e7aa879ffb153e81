"""WebShop over the benchmark's own text environment (``web_agent_site``), by concern: ``pages``
(parsing text observations), ``actions`` (normalising actions, hint text), ``demonstrations``
(session ranges, human demonstrations), ``engine`` (finding and building WebShop's engine),
``adapter`` (WebShopEnv), ``config`` (WebShopConfig).

WebShop (princeton-nlp/WebShop) is not on any package registry: users clone it, run its
``setup.sh`` (product data + Lucene search index) and point ``WEBSHOP_PATH`` at the clone.
Nothing here imports the engine at import time; parsing and action formatting are pure
functions, tested against recorded observations without the engine.
Every name stays importable from ``tcod_pl.envs.webshop``.
"""

from tcod_pl.envs.webshop.actions import (
    _BRACKET_RE,
    _SPACED_RE,
    NormalisedAction,
    _unquote,
    format_hints,
    normalise_action,
)
from tcod_pl.envs.webshop.adapter import WebShopEnv, _strip_label
from tcod_pl.envs.webshop.config import ENV_NAME, OBSERVATION_MODES, WebShopConfig
from tcod_pl.envs.webshop.demonstrations import _norm_text, load_demonstrations, parse_sessions
from tcod_pl.envs.webshop.engine import (
    INDEX_DIRS,
    INSTALL_HINT,
    EngineFactory,
    _check_data,
    _default_engine,
    locate_webshop,
)
from tcod_pl.envs.webshop.pages import (
    _ASIN_RE,
    _PAGE_RE,
    _RICH_BUTTON_RE,
    DONE_MARKER,
    SCORE_LABEL,
    SEARCH_BUTTON,
    Product,
    WebShopPage,
    _parse_done,
    _parse_item,
    _parse_results,
    _split_instruction,
    _value_after,
    parse_observation,
    split_segments,
)

__all__ = [
    "DONE_MARKER",
    "ENV_NAME",
    "INDEX_DIRS",
    "INSTALL_HINT",
    "OBSERVATION_MODES",
    "SCORE_LABEL",
    "SEARCH_BUTTON",
    "EngineFactory",
    "NormalisedAction",
    "Product",
    "WebShopConfig",
    "WebShopEnv",
    "WebShopPage",
    "_ASIN_RE",
    "_BRACKET_RE",
    "_PAGE_RE",
    "_RICH_BUTTON_RE",
    "_SPACED_RE",
    "_check_data",
    "_default_engine",
    "_norm_text",
    "_parse_done",
    "_parse_item",
    "_parse_results",
    "_split_instruction",
    "_strip_label",
    "_unquote",
    "_value_after",
    "format_hints",
    "load_demonstrations",
    "locate_webshop",
    "normalise_action",
    "parse_observation",
    "parse_sessions",
    "split_segments",
]
