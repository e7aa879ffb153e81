"""WebShopConfig: the recipe a worker builds WebShopEnv from, and the session splits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tcod_pl.envs.base import EnvConfig, EnvError, TaskSpec
from tcod_pl.envs.webshop.demonstrations import parse_sessions
from tcod_pl.envs.webshop.engine import INDEX_DIRS, EngineFactory

if TYPE_CHECKING:
    from tcod_pl.envs.webshop.adapter import WebShopEnv

ENV_NAME = "webshop"
OBSERVATION_MODES = ("text", "text_rich")


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
        from tcod_pl.envs.webshop.adapter import WebShopEnv  # the adapter imports this module

        return WebShopEnv(self)

    def tasks(self, split: str) -> list[TaskSpec]:
        specs = {"train": self.train_sessions, "dev": self.dev_sessions, "test": self.test_sessions}
        if split not in specs:
            raise EnvError(f"unknown WebShop split {split!r}; use one of {sorted(specs)}")
        return [TaskSpec(ENV_NAME, ENV_NAME, i, split) for i in parse_sessions(specs[split])]
