"""ALFWorld adapter: the real TextWorld/PDDL engine (``alfworld`` + ``textworld[pddl]``).

Game data, in ALFWorld's official layout (``json_2.1.1/<split>/<task-dir>/<trial>/game.tw-pddl``
next to ``traj_data.json``), comes from, in this order:

* ``data_path="shipped"``: tcod-pl's own small game set (``tcod_pl/envs/alfworld_games``: 6 train
  games, one per ALFWorld task type, plus 3 valid_seen and 3 valid_unseen), written by the project
  and built with ``alfworld-generate`` (``scripts/make_alfworld_games.py``);
* ``data_path=<folder>``: an ALFWORLD_DATA-style root (holding ``json_2.1.1``) or a
  ``json_2.1.1`` folder itself; it must hold games;
* ``data_path=None`` (default): ``$ALFWORLD_DATA`` (alfworld's default: ``~/.cache/alfworld``, where
  ``alfworld-download`` puts the benchmark) if it holds games, else the shipped games. An
  ``ALFWORLD_DATA`` that the user set to a folder without games is an error, not a fallback.

Splits: ``train`` / ``dev`` / ``test`` = ``train`` / ``valid_seen`` / ``valid_unseen``.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tcod_pl.envs.base import EnvConfig, EnvError, ResetResult, StepResult, TaskSpec, TextEnv

SHIPPED_DATA = Path(__file__).resolve().parent / "alfworld_games"
SPLIT_DIRS = {"train": "train", "dev": "valid_seen", "test": "valid_unseen"}
TASK_TYPES = (
    "pick_and_place_simple",
    "look_at_obj_in_light",
    "pick_clean_then_place_in_recep",
    "pick_heat_then_place_in_recep",
    "pick_cool_then_place_in_recep",
    "pick_two_obj_and_place",
)
INVALID_FEEDBACK = "Nothing happens."
_ALFWORLD_DEFAULT_DATA = Path("~/.cache/alfworld").expanduser()  # alfworld.info's default
_TASK_MARK = "Your task is to:"
_INSTALL_HINT = "pip install 'tcod-pl[alfworld]'  (alfworld + textworld[pddl]; textworld compiles for ~4 min)"
_DOWNLOAD_HINT = (
    "Get the official ALFWorld game files with `alfworld-download` (a script of the alfworld package; "
    "it needs internet) and point ALFWORLD_DATA at the folder that holds json_2.1.1/ "
    "(alfworld's default is ~/.cache/alfworld), or pass data_path='shipped' for tcod-pl's own small game set."
)
# alfworld >= 0.4 says "move X to Y"; older prompts (ReAct etc.) say "put X in/on Y".
_PUT_ALIAS = re.compile(r"^put (.+?) (?:in|on|in/on|into|onto) (.+)$")


def _json_root(folder: Path) -> Path:
    """The folder that holds the split dirs: ``<root>/json_2.1.1`` if present, else ``folder``."""
    return folder / "json_2.1.1" if (folder / "json_2.1.1").is_dir() else folder


def find_games(root: Path, split_dir: str) -> list[str]:
    """Trial dirs (relative to ``root``) of ``split_dir`` that hold a solvable game, sorted.

    Skips what alfworld's own loader skips: movable-receptacle and sliced tasks, games marked
    unsolvable by ``alfworld-generate``.
    """
    base = root / split_dir
    if not base.is_dir():
        return []
    games = []
    for game_file in sorted(base.glob("*/*/game.tw-pddl")):
        trial = game_file.parent
        if "movable" in str(trial) or "Sliced" in str(trial) or not (trial / "traj_data.json").is_file():
            continue
        with open(game_file, encoding="utf-8") as f:
            # A cheap text test: parsing thousands of game files only to read one flag is slow.
            text = f.read()
        if '"solvable": false' in text or '"solvable":false' in text:
            continue
        games.append(trial.relative_to(root).as_posix())
    return games


def _task_type(game: str) -> str:
    """``pick_and_place_simple`` of ``train/pick_and_place_simple-Apple-None-Plate-1/trial_...``."""
    return game.split("/")[1].split("-")[0]


def _has_games(root: Path) -> bool:
    return any(find_games(root, d) for d in SPLIT_DIRS.values())


def resolve_data_root(data_path: str | None) -> Path:
    """The ``json_2.1.1``-level folder to read games from (see the module docstring)."""
    if data_path == "shipped":
        return _json_root(SHIPPED_DATA)
    if data_path is not None:
        folder = Path(data_path).expanduser()
        root = _json_root(folder)
        if not _has_games(root):
            raise EnvError(f"No ALFWorld games under data_path={str(folder)!r}. {_DOWNLOAD_HINT}")
        return root
    env_value = os.environ.get("ALFWORLD_DATA")
    folder = Path(env_value).expanduser() if env_value else _ALFWORLD_DEFAULT_DATA
    root = _json_root(folder)
    if _has_games(root):
        return root
    # Importing alfworld sets ALFWORLD_DATA to its default folder, so only a non-default value
    # is a user's choice that must not be silently replaced by the shipped games.
    if env_value and folder.resolve() != _ALFWORLD_DEFAULT_DATA.resolve():
        raise EnvError(f"No ALFWorld games under ALFWORLD_DATA={env_value!r}. {_DOWNLOAD_HINT}")
    return _json_root(SHIPPED_DATA)


def _import_engine() -> tuple[Any, Any, Any]:
    """(textworld.EnvInfos, PddlEnv, AlfredDemangler), or an EnvError naming the install."""
    try:
        import fast_downward  # noqa: F401 - textworld[pddl]; PddlEnv imports without it, then fails
        import textworld
        from alfworld.agents.environment.alfred_tw_env import AlfredDemangler
        from textworld.envs import PddlEnv
    except ImportError as e:
        raise EnvError(f"ALFWorld is not installed ({e}). Install it with: {_INSTALL_HINT}") from e
    return textworld.EnvInfos, PddlEnv, AlfredDemangler


def _speed_up_engine() -> None:
    """Memoise two pure, costly steps of the engine; outputs are unchanged (idempotent).

    * Every step derives the text of every admissible command, and textworld re-parses each
      template string with tatsu each time (~60% of a step). Callers mutate the parse, so each
      call gets a deep copy of the cached one. Steps get ~3x faster.
    * Every reset translates the game's PDDL to SAS twice with Fast Downward (~0.5-1 s). The
      result depends only on the text; textworld only reads it. Resets of a recent game are cheap.
    Another textworld / fast_downward version without these functions is left as it is.
    """
    import fast_downward
    from textworld.envs.pddl import textgen

    parse = getattr(textgen, "_parse_and_convert", None)
    if parse is not None and not getattr(parse, "_tcod_cached", False):

        @functools.lru_cache(maxsize=4096)
        def cached_parse(text: str, rule_name: str | None, trace: bool) -> Any:
            return parse(text, rule_name=rule_name, trace=trace)

        def parse_and_convert(text: Any, rule_name: str | None = None, trace: bool = False, **kw: Any) -> Any:
            if kw or not isinstance(text, str):
                return parse(text, rule_name=rule_name, trace=trace, **kw)
            return copy.deepcopy(cached_parse(text, rule_name, bool(trace)))

        parse_and_convert._tcod_cached = True  # type: ignore[attr-defined]
        textgen._parse_and_convert = parse_and_convert

    translate = getattr(fast_downward, "pddl2sas", None)
    if translate is not None and not getattr(translate, "_tcod_cached", False):
        # Bounded: a full ALFWorld split has thousands of games; recent ones are what repeats.
        cached_translate = functools.lru_cache(maxsize=64)(translate)

        def pddl2sas(domain: str, problem: str, verbose: bool = False, optimize: bool = False) -> Any:
            return cached_translate(domain, problem, verbose=verbose, optimize=optimize)

        pddl2sas._tcod_cached = True  # type: ignore[attr-defined]
        fast_downward.pddl2sas = pddl2sas


@contextlib.contextmanager
def _keep_argv() -> Iterator[None]:
    """Fast Downward's translator overwrites ``sys.argv`` on every game (re)load; put it back.

    A clobbered ``sys.argv`` would, e.g., make Lightning launch DDP ranks with the wrong command.
    """
    argv, saved = sys.argv, list(sys.argv)
    try:
        yield
    finally:
        argv[:] = saved
        sys.argv = argv


class AlfWorldConfig(EnvConfig):
    """Picklable recipe for :class:`AlfWorldEnv`.

    Args:
        data_path: ``None`` (ALFWORLD_DATA if it holds games, else the shipped games), ``"shipped"``,
            or a folder in the official layout.
        task_types: keep only these ALFWorld task types (default: all six).
    """

    name = "alfworld"

    def __init__(self, data_path: str | None = None, task_types: list[str] | None = None) -> None:
        unknown = sorted(set(task_types or ()) - set(TASK_TYPES))
        if unknown:
            raise EnvError(f"Unknown ALFWorld task type(s) {unknown}; valid: {list(TASK_TYPES)}")
        self.data_path = data_path
        self.task_types = list(task_types) if task_types else None

    def root(self) -> Path:
        return resolve_data_root(self.data_path)

    def make(self) -> AlfWorldEnv:
        return AlfWorldEnv(self.data_path)

    def tasks(self, split: str) -> list[TaskSpec]:
        if split not in SPLIT_DIRS:
            raise EnvError(f"Unknown split {split!r}; valid: {list(SPLIT_DIRS)}")
        names = find_games(self.root(), SPLIT_DIRS[split])
        if self.task_types:
            names = [n for n in names if _task_type(n) in self.task_types]
        return [TaskSpec(env=self.name, name=n, variation=0, split=split) for n in names]

    def task_type(self, task: TaskSpec) -> str:
        return _task_type(task.name)


class AlfWorldEnv(TextEnv):
    """One TextWorld PDDL engine, reused across episodes (a game is re-parsed only when it changes)."""

    def __init__(self, data_path: str | None = None) -> None:
        self.root = resolve_data_root(data_path)
        # Importing alfworld sets ALFWORLD_DATA (and creates ~/.cache/alfworld) when unset; point it
        # at the data in use instead, so alfworld's own tools see the same games.
        os.environ.setdefault(
            "ALFWORLD_DATA", str(self.root.parent if self.root.name == "json_2.1.1" else self.root)
        )
        env_infos, pddl_env, demangler = _import_engine()
        _speed_up_engine()
        self._engine = demangler(pddl_env(env_infos(admissible_commands=True)), shuffle=False)
        self._planner: Any = None  # second engine, only for games without a stored walkthrough
        self._loaded: Path | None = None
        self._commands: list[str] = []
        self._task: TaskSpec | None = None

    # ---- episodes

    def game_file(self, task: TaskSpec) -> Path:
        if task.env != "alfworld":
            raise EnvError(f"Task {task} is not an ALFWorld task")
        if task.variation != 0:
            raise EnvError(
                f"ALFWorld games have a single variation (0); got {task.variation} for {task.name}"
            )
        path = self.root / task.name / "game.tw-pddl"
        if not path.is_file():
            raise EnvError(
                f"No ALFWorld game {task.name!r} under {self.root} (expected {path}). {_DOWNLOAD_HINT}"
            )
        return path

    def reset(self, task: TaskSpec) -> ResetResult:
        path = self.game_file(task)
        with _keep_argv():
            if path != self._loaded:
                self._engine.load(str(path))
                self._loaded = path
            state = self._engine.reset()
        self._task = task
        self._commands = list(state["admissible_commands"])
        text = state["feedback"]
        cut = text.find(_TASK_MARK)
        observation, task_desc = (text[:cut], text[cut:]) if cut >= 0 else (text, "")
        return ResetResult(
            observation=observation.strip(),
            task_description=task_desc.strip(),
            hints=self.action_hints(),
            info={
                "task_type": task.name.split("/")[1].split("-")[0],
                "admissible_commands": list(self._commands),
            },
        )

    def step(self, action: str) -> StepResult:
        if self._task is None:
            raise EnvError("step() before reset(): call reset(task) first")
        state, score, done = self._engine.step(self.normalize(action))
        self._commands = list(state["admissible_commands"])
        won = bool(state["won"])
        feedback = state["feedback"]
        return StepResult(
            observation=feedback,
            reward=float(score),
            done=bool(done),
            score=float(won),
            success=won,
            valid=feedback.strip() != INVALID_FEEDBACK,
            hints=self.action_hints(),
            info={"admissible_commands": list(self._commands)},
        )

    def normalize(self, action: str) -> str:
        """Lower-case, single spaces, no trailing period; map "put X in/on Y" to "move X to Y"."""
        cmd = " ".join(action.strip().lower().split()).rstrip(".")
        if cmd not in self._commands:
            m = _PUT_ALIAS.match(cmd)
            if m and f"move {m.group(1)} to {m.group(2)}" in self._commands:
                cmd = f"move {m.group(1)} to {m.group(2)}"
        return cmd

    def admissible_commands(self) -> list[str]:
        return list(self._commands)

    def action_hints(self) -> str:
        return "Admissible actions: " + ", ".join(self._commands) + "." if self._commands else ""

    # ---- expert

    def expert_actions(self, task: TaskSpec) -> list[str] | None:
        """The game's stored walkthrough (alfworld-generate's expert), else the PDDL planner's plan."""
        path = self.game_file(task)
        with open(path, encoding="utf-8") as f:
            walkthrough = json.load(f).get("walkthrough")
        if walkthrough:
            return [str(a) for a in walkthrough]
        return self._plan(path)

    def _plan(self, path: Path) -> list[str] | None:
        # A separate engine so that planning never disturbs the running episode.
        if self._planner is None:
            env_infos, pddl_env, demangler = _import_engine()
            self._planner = demangler(pddl_env(env_infos(policy_commands=True)), shuffle=False)
        with _keep_argv():
            self._planner.load(str(path))
            plan = self._planner.reset().get("policy_commands")
        return [str(a) for a in plan] if plan else None

    def close(self) -> None:
        # Each PddlEnv loads its own copy of Fast Downward's shared library. Free its search state but
        # never dlclose it: the copies share one plugin registry through symbol interposition, so an
        # unloaded copy leaves dangling entries that crash the process at exit (SIGSEGV in
        # ~RawRegistry). The mapping is reclaimed when the worker process ends.
        for engine in (self._engine, self._planner):
            lib = getattr(getattr(engine, "unwrapped", None), "downward_lib", None)
            if lib is not None:
                try:
                    lib.cleanup()
                except Exception:  # freeing is best effort
                    pass
        self._engine = self._planner = None
        self._task = None
