"""Finding WebShop's engine (``web_agent_site``, not on any registry) and its data, and building it."""

from __future__ import annotations

import importlib
import importlib.util
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tcod_pl.envs.base import EnvError

if TYPE_CHECKING:
    from tcod_pl.envs.webshop.config import WebShopConfig

# web_agent_site.engine.engine.init_search_engine only has indexes for these sizes.
INDEX_DIRS = {None: "indexes", 100: "indexes_100", 1000: "indexes_1k", 100000: "indexes_100k"}

INSTALL_HINT = (
    "WebShop's engine (`web_agent_site`) is not installed and is not on PyPI. To use WebShop: "
    "git clone https://github.com/princeton-nlp/WebShop ; in that clone run ./setup.sh -d all "
    "(or -d small) in a Python env that this project also runs in, which installs its requirements, "
    "downloads the product data and builds the search index; then set WEBSHOP_PATH=/path/to/WebShop "
    "(or pass webshop_path=... to WebShopConfig)."
)

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


EngineFactory = Callable[["WebShopConfig"], Any]
