"""EnvConfig.cache_key(): the same text for equal configs in every process, different for different ones."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tcod_pl.envs import AlfWorldConfig, ScienceWorldConfig
from tcod_pl.envs.base import EnvConfig
from tcod_pl.rollout.expert import ExpertDataModule

# Each entry builds a config from source text, so a fresh interpreter can build the same one.
CONFIGS = {
    "scienceworld": "ScienceWorldConfig(task_names=['find-animal', 'boil'], simplification='easy')",
    "alfworld": "AlfWorldConfig(data_path='shipped', task_types=['pick_two_obj_and_place'])",
    # engine_factory is a function: the default repr of a function holds its memory address.
    "webshop": "WebShopConfig(num_products=1000, engine_factory=_default_engine, train_sessions='0-9')",
}
OTHER = {
    "scienceworld": "ScienceWorldConfig(task_names=['find-animal', 'boil'], simplification='')",
    "alfworld": "AlfWorldConfig(data_path='shipped')",
    "webshop": "WebShopConfig(num_products=1000, engine_factory=_default_engine, train_sessions='0-8')",
}
IMPORTS = "from tcod_pl.envs import AlfWorldConfig, ScienceWorldConfig, WebShopConfig\nfrom tcod_pl.envs.webshop import _default_engine\n"


def build(source: str) -> EnvConfig:
    scope: dict = {}
    exec(IMPORTS, scope)
    return eval(source, scope)


def key_in_fresh_process(source: str, hash_seed: str) -> str:
    code = IMPORTS + f"print({source}.cache_key())"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_equal_configs_give_the_same_key_across_processes(name):
    here = build(CONFIGS[name]).cache_key()
    assert here == build(CONFIGS[name]).cache_key()
    assert " at 0x" not in here and type(build(CONFIGS[name])).__name__ in here
    assert key_in_fresh_process(CONFIGS[name], "1") == here
    assert key_in_fresh_process(CONFIGS[name], "2") == here
    assert build(OTHER[name]).cache_key() != here


def test_webshop_names_its_engine_factory_by_module_and_name():
    key = build(CONFIGS["webshop"]).cache_key()
    assert "engine_factory=tcod_pl.envs.webshop.engine._default_engine" in key


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_expert_cache_path_is_the_same_for_equal_configs(name, tmp_path):
    paths = [
        ExpertDataModule(env=build(CONFIGS[name]), cache_dir=str(tmp_path)).cache_path("train")
        for _ in range(2)
    ]
    assert paths[0] == paths[1]
    other = ExpertDataModule(env=build(OTHER[name]), cache_dir=str(tmp_path)).cache_path("train")
    assert other != paths[0]


def test_scienceworld_key_is_the_text_its_cache_keys_always_hashed():
    # The text repr(config) gave before cache_key() existed, plus stable_object_order (new fields
    # change the key on purpose: episodes recorded with the JVM's varying object order are not reused).
    config = ScienceWorldConfig(task_names=["find-animal"], simplification="easy")
    assert config.cache_key() == (
        "ScienceWorldConfig(task_names=['find-animal'], simplification='easy', jvm_heap='768m', "
        "max_variations_per_task=None, split_scheme='variations', env_step_limit=100, "
        "stable_object_order=True)"
    )


def test_a_field_without_a_stable_text_is_a_clear_error():
    config = AlfWorldConfig()
    config.extra = object()
    with pytest.raises(TypeError, match="AlfWorldConfig.extra .* override AlfWorldConfig.cache_key"):
        config.cache_key()


def test_expert_cache_path_changes_with_the_task_line_setting(tmp_path):
    """Demonstrations rendered with the task line in every message are another cache."""
    from tcod_pl.rollout.prompting import AgentPrompt

    env = build(CONFIGS["scienceworld"])

    def path(**prompt) -> object:
        return ExpertDataModule(
            env=env, cache_dir=str(tmp_path), prompt=AgentPrompt(hints="every", **prompt)
        ).cache_path("train")

    assert path(task_every_turn=True) != path(task_every_turn=False)
