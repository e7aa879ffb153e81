"""Rollouts on the real ALFWorld engine (shipped games) with a tiny random student."""

import pytest
from transformers import AutoModelForCausalLM, AutoTokenizer

from tcod_pl.curriculum.rules import B2F
from tcod_pl.data.packing import ChatPacker
from tcod_pl.envs import AlfWorldConfig, EnvPool
from tcod_pl.rollout.policy import HFPolicy
from tcod_pl.rollout.prompting import AgentPrompt, parse_action
from tcod_pl.rollout.runner import RolloutRunner

pytest.importorskip("alfworld", reason="needs the alfworld extra: pip install -e '.[alfworld]'")


def test_b2f_on_alfworld_replays_the_walkthrough_prefix(tiny_models):
    config = AlfWorldConfig(data_path="shipped")
    task = config.tasks("train")[0]
    tok = AutoTokenizer.from_pretrained(tiny_models["student"])
    policy = HFPolicy(max_new_tokens=8)
    policy.bind(AutoModelForCausalLM.from_pretrained(tiny_models["student"]), tok)
    with EnvPool(config, num_workers=1) as pool:
        [gold] = pool.expert_actions([task])
        runner = RolloutRunner(pool, policy, ChatPacker(tok), AgentPrompt(hints="every"))
        [ep] = runner.run([task], B2F(2, max_turns=len(gold)), experts=[gold])
    assert ep.failed is None and ep.expert_prefix == len(gold) - 2
    assert [parse_action(t.response)[0] for t in ep.turns[: len(gold) - 2]] == gold[: len(gold) - 2]
    assert 1 <= ep.num_supervised <= 2
    assert "Available actions:" in ep.turns[-1].observation  # admissible commands shown every turn
