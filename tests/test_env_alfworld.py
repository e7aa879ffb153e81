"""ALFWorld adapter on the real TextWorld/PDDL engine, with tcod-pl's shipped games.

Data-resolution tests run everywhere; engine tests need the ``alfworld`` extra and skip without it.
"""

from __future__ import annotations

import json
import pickle
import random
import shutil
import sys

import pytest

from tcod_pl.envs import alfworld as aw
from tcod_pl.envs.alfworld import TASK_TYPES, AlfWorldConfig
from tcod_pl.envs.base import EnvError, TaskSpec

pytestmark = pytest.mark.alfworld

SHIPPED = AlfWorldConfig(data_path="shipped")
ALL_TASKS = [t for split in ("train", "dev", "test") for t in SHIPPED.tasks(split)]
RANDOM_STEPS = 30  # the paper's ALFWorld episode cap


def _type(task: TaskSpec) -> str:
    return task.name.split("/")[1].split("-")[0]


@pytest.fixture(scope="module")
def env():
    pytest.importorskip("alfworld", reason="needs the alfworld extra: pip install 'tcod-pl[alfworld]'")
    pytest.importorskip("fast_downward", reason="needs textworld[pddl]: pip install 'tcod-pl[alfworld]'")
    e = SHIPPED.make()
    yield e
    e.close()


# ---- data, splits, errors (no engine needed)


def test_splits_are_disjoint_and_train_covers_every_task_type():
    splits = {s: {t.name for t in SHIPPED.tasks(s)} for s in ("train", "dev", "test")}
    assert all(splits.values())
    assert not splits["train"] & splits["dev"] and not splits["train"] & splits["test"]
    assert not splits["dev"] & splits["test"]
    assert {_type(t) for t in SHIPPED.tasks("train")} == set(TASK_TYPES)
    for split in ("train", "dev", "test"):
        for t in SHIPPED.tasks(split):
            assert (t.env, t.variation, t.split) == ("alfworld", 0, split)
    assert SHIPPED.tasks("train") == SHIPPED.tasks("train")  # fixed order


def test_config_is_picklable_and_filters_task_types():
    cfg = pickle.loads(pickle.dumps(AlfWorldConfig(data_path="shipped", task_types=["look_at_obj_in_light"])))
    assert cfg.name == "alfworld"
    assert {_type(t) for t in cfg.tasks("train")} == {"look_at_obj_in_light"}
    # the demo's per-task-type table groups by the type, not by game
    assert {cfg.task_type(t) for t in cfg.tasks("train")} == {"look_at_obj_in_light"}
    assert {SHIPPED.task_type(t) for t in SHIPPED.tasks("train")} == set(TASK_TYPES)
    with pytest.raises(EnvError, match="valid"):
        AlfWorldConfig(task_types=["juggle"])
    with pytest.raises(EnvError, match="train"):
        SHIPPED.tasks("validation")


def test_default_is_alfworld_data_else_shipped(tmp_path, monkeypatch):
    monkeypatch.delenv("ALFWORLD_DATA", raising=False)
    monkeypatch.setattr(aw, "_ALFWORLD_DEFAULT_DATA", tmp_path / "cache")
    assert AlfWorldConfig().root() == aw.SHIPPED_DATA / "json_2.1.1"
    # An official-layout ALFWORLD_DATA (json_2.1.1/<split>/...) wins when it holds games.
    shutil.copytree(aw.SHIPPED_DATA, tmp_path / "data")
    monkeypatch.setenv("ALFWORLD_DATA", str(tmp_path / "data"))
    cfg = AlfWorldConfig()
    assert cfg.root() == tmp_path / "data" / "json_2.1.1"
    assert [t.name for t in cfg.tasks("test")] == [t.name for t in SHIPPED.tasks("test")]


def test_missing_data_is_one_clear_error(tmp_path, monkeypatch):
    with pytest.raises(
        EnvError, match=r"No ALFWorld games under data_path=.*alfworld-download.*ALFWORLD_DATA"
    ):
        AlfWorldConfig(data_path=str(tmp_path)).tasks("train")
    monkeypatch.setenv("ALFWORLD_DATA", str(tmp_path))
    with pytest.raises(EnvError, match=r"No ALFWorld games under ALFWORLD_DATA=.*alfworld-download"):
        AlfWorldConfig().tasks("train")


def test_missing_package_is_a_clear_error(monkeypatch):
    names = [m for m in sys.modules if m == "alfworld" or m.startswith("alfworld.")]
    for name in names + ["alfworld", "alfworld.agents.environment.alfred_tw_env"]:
        monkeypatch.setitem(sys.modules, name, None)  # None in sys.modules makes the import fail
    with pytest.raises(EnvError, match=r"pip install 'tcod-pl\[alfworld\]'"):
        SHIPPED.make()


# ---- the real engine


@pytest.mark.parametrize("task", ALL_TASKS, ids=lambda t: t.name.split("/")[1])
def test_expert_solves_every_shipped_game(env, task):
    first = env.reset(task)
    assert first.observation.startswith("-= Welcome to TextWorld, ALFRED! =-")
    assert first.task_description.startswith("Your task is to: ")
    assert "Your task is to" not in first.observation
    assert first.hints.startswith("Admissible actions: ") and "look" in first.info["admissible_commands"]
    actions = env.expert_actions(task)
    assert actions
    for i, action in enumerate(actions):
        assert action in env.admissible_commands(), (i, action)
        result = env.step(action)
        assert result.valid
        assert result.done == (i == len(actions) - 1)
    assert result.success and result.score == 1.0 and result.reward == 1.0


def test_random_policy_does_not_win(env):
    wins: dict[str, list[bool]] = {}
    for task in ALL_TASKS:
        rng = random.Random(f"{task.name}/0")
        env.reset(task)
        won = False
        for _ in range(RANDOM_STEPS):
            result = env.step(rng.choice(env.admissible_commands()))
            if result.done:
                won = result.success
                break
        wins.setdefault(task.split, []).append(won)
    n_won = sum(sum(w) for w in wins.values())
    assert n_won <= len(ALL_TASKS) // 4, wins
    assert any(not any(w) for w in wins.values()), wins  # a whole split is never won


def test_invalid_actions_and_command_normalisation(env):
    task = next(t for t in SHIPPED.tasks("train") if _type(t) == "pick_and_place_simple")
    env.reset(task)
    bad = env.step("dance with the sofa")
    assert (bad.observation, bad.valid, bad.done, bad.success) == ("Nothing happens.", False, False, False)
    env.reset(task)  # a second reset of the same game starts over
    actions = env.expert_actions(task)
    for action in actions[:-1]:
        assert env.step(action.upper() + ".").valid  # case, trailing period
    obj, recep = actions[-1].removeprefix("move ").split(" to ")
    assert env.step(f"put {obj} on {recep}").success  # alfworld < 0.4 wording


def test_reset_leaves_sys_argv_alone(env, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["trainer.py", "fit", "--config", "x.yaml"])
    argv = sys.argv
    env.reset(SHIPPED.tasks("dev")[0])  # a new game: Fast Downward's translator rewrites sys.argv
    assert sys.argv is argv and argv == ["trainer.py", "fit", "--config", "x.yaml"]


def test_errors_for_bad_tasks(env):
    task = SHIPPED.tasks("train")[0]
    fresh = SHIPPED.make()
    try:
        with pytest.raises(EnvError, match="reset"):
            fresh.step("look")
    finally:
        fresh.close()
    with pytest.raises(EnvError, match="single variation"):
        env.reset(TaskSpec("alfworld", task.name, variation=3))
    with pytest.raises(EnvError, match="No ALFWorld game"):
        env.reset(TaskSpec("alfworld", "train/no-such-game/trial_0"))
    with pytest.raises(EnvError, match="not an ALFWorld task"):
        env.reset(TaskSpec("scienceworld", task.name))


def test_planner_fallback_when_game_has_no_walkthrough(env, tmp_path):
    task = next(t for t in SHIPPED.tasks("dev") if _type(t) == "pick_and_place_simple")
    src = aw.SHIPPED_DATA / "json_2.1.1" / task.name
    dst = tmp_path / "json_2.1.1" / task.name
    shutil.copytree(src, dst)
    game = json.loads((dst / "game.tw-pddl").read_text())
    game["walkthrough"] = None
    (dst / "game.tw-pddl").write_text(json.dumps(game))
    local = AlfWorldConfig(data_path=str(tmp_path)).make()
    try:
        plan = local.expert_actions(task)
        assert plan
        local.reset(task)
        results = [local.step(a) for a in plan]
        assert results[-1].success
    finally:
        local.close()


def test_closing_several_engines_then_exiting_does_not_crash(env):
    """Each engine holds a copy of Fast Downward; unloading one used to SIGSEGV the process at exit."""
    import subprocess

    script = (
        "from tcod_pl.envs.alfworld import AlfWorldConfig\n"
        "cfg = AlfWorldConfig(data_path='shipped')\n"
        "task = cfg.tasks('train')[0]\n"
        "for _ in range(2):\n"
        "    e = cfg.make()\n"
        "    e.reset(task)\n"
        "    e.expert_actions(task)\n"
        "    e.close()\n"
        "print('closed')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("closed")
