"""Text environments (no torch, no model code): the interface, adapters and the parallel pool."""

from tcod_pl.envs.alfworld import AlfWorldConfig, AlfWorldEnv, resolve_data_root
from tcod_pl.envs.base import EnvConfig, EnvError, ResetResult, StepResult, TaskSpec, TextEnv
from tcod_pl.envs.pool import EnvFailure, EnvPool
from tcod_pl.envs.scienceworld import ScienceWorldConfig, ScienceWorldEnv
from tcod_pl.envs.webshop import WebShopConfig, WebShopEnv

__all__ = [
    "AlfWorldConfig",
    "AlfWorldEnv",
    "EnvConfig",
    "EnvError",
    "EnvFailure",
    "EnvPool",
    "ResetResult",
    "ScienceWorldConfig",
    "ScienceWorldEnv",
    "StepResult",
    "TaskSpec",
    "TextEnv",
    "resolve_data_root",
    "WebShopConfig",
    "WebShopEnv",
]
