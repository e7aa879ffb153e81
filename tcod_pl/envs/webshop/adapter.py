"""WebShopEnv: the TextEnv over WebShop's text environment (pages parsed, actions normalised)."""

from __future__ import annotations

import math
from typing import Any

from tcod_pl.envs.base import EnvError, ResetResult, StepResult, TaskSpec, TextEnv
from tcod_pl.envs.webshop.actions import format_hints, normalise_action
from tcod_pl.envs.webshop.config import ENV_NAME, WebShopConfig
from tcod_pl.envs.webshop.demonstrations import _norm_text, load_demonstrations
from tcod_pl.envs.webshop.engine import EngineFactory, _default_engine, locate_webshop
from tcod_pl.envs.webshop.pages import parse_observation


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
