"""Expert (behaviour-cloning) episodes replayed in the real ScienceWorld, with recovery demonstrations."""

import pytest
from transformers import AutoTokenizer

from tcod_pl.data.packing import ChatPacker
from tcod_pl.envs import ScienceWorldConfig
from tcod_pl.errors import ConfigError
from tcod_pl.rollout.expert import ExpertDataModule, collect_expert_episodes, inject_mistakes
from tcod_pl.rollout.prompting import AgentPrompt

NO_OP = "^open door to |^look around$"


def test_inject_mistakes_inserts_other_experts_actions_before_gold_ones():
    experts = [["a", "b", "c"], ["d", "e"], ["f"]]
    copies = inject_mistakes(experts, rate=1.0, seed=0)
    pool = {a for e in experts for a in e}
    for gold, (copy, at) in zip(experts, copies):
        assert at == [2 * i for i in range(len(gold))]  # one before every gold action
        assert [copy[i + 1] for i in at] == gold
        assert all(copy[i] in pool and copy[i] != copy[i + 1] for i in at)
    assert inject_mistakes(experts, rate=0.0) == [(e, []) for e in experts]
    assert inject_mistakes(experts, 0.5, seed=3) == inject_mistakes(experts, 0.5, seed=3)
    with pytest.raises(ConfigError, match="mistake_rate"):
        inject_mistakes(experts, rate=1.5)


def test_recovery_demonstrations_replay_rejected_mistakes_unsupervised(tiny_models):
    env = ScienceWorldConfig(task_names=["find-non-living-thing", "lifespan-longest-lived"])
    tasks = [t for t in env.tasks("train") if t.variation in (0, 1, 2)][:4]
    packer = ChatPacker(AutoTokenizer.from_pretrained(tiny_models["student"]))
    prompt = AgentPrompt(hints="every", hint_lines=["Objects"])
    episodes = collect_expert_episodes(
        env, tasks, packer, prompt, num_workers=2, progress=False, skip_actions=[NO_OP], mistake_rate=0.5
    )
    plain, recovery = episodes[: len(tasks)], episodes[len(tasks) :]
    assert all(e.success and all(t.supervised and t.valid for t in e.turns) for e in plain)
    assert recovery, "no recovery demonstration survived; expected most to"
    for ep in recovery:
        gold = next(p for p in plain if p.task == ep.task)
        wrong = [t for t in ep.turns if not t.supervised]
        assert ep.success and wrong
        # each mistake was rejected by the real environment, and the gold actions follow unchanged
        assert all(
            not t.valid and "No known action" in ep.turns[ep.turns.index(t) + 1].observation for t in wrong
        )
        assert [t.action for t in ep.turns if t.supervised] == [t.action for t in gold.turns]


def test_datamodule_rejects_a_bad_mistake_rate(tmp_path):
    with pytest.raises(ConfigError, match="mistake_rate"):
        ExpertDataModule(
            env=ScienceWorldConfig(task_names=["find-animal"]), cache_dir=str(tmp_path), mistake_rate=-0.1
        )
