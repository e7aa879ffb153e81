"""Expert (behaviour-cloning) episodes replayed in the real ScienceWorld, with recovery demonstrations."""

import pytest
import torch
from transformers import AutoTokenizer

from tcod_pl.data.episode import Episode, Turn
from tcod_pl.data.packing import ChatPacker
from tcod_pl.envs import ScienceWorldConfig
from tcod_pl.errors import ConfigError
from tcod_pl.rollout.expert import (
    Counterfactuals,
    ExpertDataModule,
    NameSwaps,
    collect_expert_episodes,
    inject_mistakes,
)
from tcod_pl.rollout.prompting import AgentPrompt
from tcod_pl.testing import quiet_trainer

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


def test_counterfactual_variants_swap_the_target_for_listed_objects_only():
    turns = [
        Turn("Task: find a thing.\nObjects: agent, soap, red box, soap dish", "", action="focus on soap"),
        Turn("Observation: You focus on the soap.", "", action="move soap to red box"),
    ]
    ep = Episode(task={"env": "scienceworld", "name": "find-non-living-thing", "variation": 0}, turns=turns)
    variants = Counterfactuals(per_task=10).variants(ep)
    assert sorted(v[0] for v in variants) == ["focus on agent", "focus on red box", "focus on soap dish"]
    assert ["focus on soap dish", "move soap dish to red box"] in variants  # whole words only
    assert len(Counterfactuals(per_task=1).variants(ep)) == 1
    assert Counterfactuals(target_action="^pick up (.+)$").variants(ep) == []


def _find_episode(name, target, others, box="red box"):
    listed = ", ".join(["agent", target, *others, box])
    return Episode(
        task={"env": "scienceworld", "name": name, "variation": 0},
        turns=[
            Turn(
                f"Task: find a(n) animal.\nYou see a {target} and an ant.\nObjects: {listed}",
                "",
                action=f"focus on {target}",
            ),
            Turn(
                f"Observation: You focus on the {target}.\nObjects: {listed}",
                f"<action>move {target} to {box}</action>",
                action=f"move {target} to {box}",
            ),
        ],
    )


def test_name_swaps_rename_names_of_one_category_consistently_within_an_episode():
    episodes = [
        _find_episode("find-animal", "brown bear", ["ant", "soap"]),
        _find_episode("find-animal", "ant", ["bear"]),
        _find_episode("find-non-living-thing", "soap", ["soap dish"]),
        _find_episode("lifespan-longest-lived", "bear", ["wolf"]),
        _find_episode("lifespan-shortest-lived", "wolf", ["bear"]),
    ]
    swaps = NameSwaps(copies=3, seed=1)
    assert swaps.name_categories(episodes) == {
        "ant": "animal",
        "bear": "animal",
        "brown bear": "animal",
        "soap": "non-living",
        "wolf": "animal",
    }
    variants = swaps.augment(episodes)
    assert len(variants) == 9  # 3 copies of each find-* episode; lifespan ones are not renamed
    for variant in variants[:3]:  # the first episode: its two animals take the two it lacks
        target = variant.turns[0].action.removeprefix("focus on ")
        first = variant.turns[0].observation
        listed = first.split("Objects: ", 1)[1].split(", ")
        assert listed[0] == "agent" and listed[3:] == ["soap", "red box"]  # soap: the only one of its kind
        assert {listed[1], listed[2]} == {"bear", "wolf"} and listed[1] == target
        assert f"You see a {target} and a {listed[2]}." in first  # "an ant" became "a ..."
        assert variant.turns[1].action == f"move {target} to red box"
        assert variant.turns[1].response == f"<action>move {target} to red box</action>"
        assert f"You focus on the {target}." in variant.turns[1].observation
    # "soap dish" is not "soap", and soap has no other name of its kind to take
    assert all(v.turns[1].action == "move soap to red box" for v in variants[6:])
    assert episodes[0].turns[0].action == "focus on brown bear"  # originals untouched
    assert NameSwaps(copies=3, seed=1).augment(episodes) == variants
    with pytest.raises(ConfigError, match="copies"):
        NameSwaps(copies=-1).augment(episodes)


def test_name_swaps_keep_derived_name_forms_and_draw_new_names_per_epoch():
    # ScienceWorld's inventory names: "egg parrot" -> "egg parrot egg", "dove" -> "egg dove egg".
    eggs = [_find_episode("find-animal", name, []) for name in ("egg parrot", "egg frog")]
    birds = [_find_episode("find-animal", name, []) for name in ("dove", "ant", "wolf", "bear", "owl")]
    episodes = eggs + birds
    category = NameSwaps().name_categories(episodes)
    assert set(category) == {"egg parrot", "egg frog", "dove", "ant", "wolf", "bear", "owl"}
    fixed = NameSwaps(copies=2, seed=3)
    for variant, source in zip(fixed.augment(episodes), [e for e in episodes for _ in range(2)]):
        old = source.turns[0].action.removeprefix("focus on ")
        new = variant.turns[0].action.removeprefix("focus on ")
        assert new.startswith("egg ") == old.startswith("egg ")  # never "egg egg dove egg"
    assert fixed.augment(episodes, epoch=5) == fixed.augment(episodes, epoch=0)  # not fresh: fixed
    fresh = NameSwaps(copies=2, seed=3, fresh_each_epoch=True)
    targets = [[v.turns[0].action for v in fresh.augment(birds, epoch=epoch)] for epoch in range(3)]
    assert targets[0] != targets[1] != targets[2]
    assert [v.turns[0].action for v in fresh.augment(birds, epoch=1)] == targets[1]  # seeded


def test_fresh_renamed_copies_reach_the_training_loader_every_epoch(tmp_path):
    import lightning.pytorch as pl

    from tcod_pl.data.episode import save_episodes

    birds = [_find_episode("find-animal", name, []) for name in ("dove", "ant", "wolf", "bear", "owl")]
    tokenizer = AutoTokenizer.from_pretrained("tcod_pl/assets/scienceworld/teacher")

    class Probe(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.tokenizer = tokenizer
            self.weight = torch.nn.Parameter(torch.zeros(1))
            self.seen: dict[int, list[str]] = {}

        def training_step(self, batch, batch_idx):
            texts = [tokenizer.decode(ids) for ids in batch["input_ids"]]
            self.seen.setdefault(self.current_epoch, []).extend(texts)
            return (self.weight**2).sum()

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    def fit(reload: int) -> Probe:
        dm = ExpertDataModule(
            env=ScienceWorldConfig(task_names=["find-animal"]),
            val_split=None,
            batch_size=4,
            cache_dir=str(tmp_path),
            name_swaps=NameSwaps(copies=2, fresh_each_epoch=True),
        )
        save_episodes(birds, dm.cache_path("train"))  # the cache: no environment needed
        probe = Probe()
        trainer = quiet_trainer(
            max_epochs=3,
            reload_dataloaders_every_n_epochs=reload,
        )
        trainer.fit(probe, datamodule=dm)
        return probe

    probe = fit(reload=1)
    assert [len(probe.seen[e]) for e in range(3)] == [15, 15, 15]  # 5 gold + 10 renamed per epoch
    assert sorted(probe.seen[0]) != sorted(probe.seen[1]) != sorted(probe.seen[2])
    with pytest.raises(ConfigError, match="reload_dataloaders_every_n_epochs: 1"):
        fit(reload=0)


def test_counterfactual_demonstrations_are_verified_in_the_real_environment(tiny_models):
    env = ScienceWorldConfig(task_names=["find-non-living-thing"])
    tasks = [t for t in env.tasks("train") if t.variation in (0, 1, 2)]
    packer = ChatPacker(AutoTokenizer.from_pretrained(tiny_models["student"]))
    prompt = AgentPrompt(hints="every", hint_lines=["Objects"])
    episodes = collect_expert_episodes(
        env,
        tasks,
        packer,
        prompt,
        num_workers=2,
        progress=False,
        skip_actions=[NO_OP],
        counterfactuals=Counterfactuals(per_task=6),
    )
    plain, extra = episodes[: len(tasks)], episodes[len(tasks) :]
    assert extra, "no counterfactual survived; the gold targets of find-non-living-thing have many peers"
    for ep in extra:
        gold = next(p for p in plain if p.task == ep.task)
        assert ep.success and all(t.valid and t.supervised for t in ep.turns)
        focus = [t.action for t in ep.turns if t.action.startswith("focus on ")]
        gold_focus = [t.action for t in gold.turns if t.action.startswith("focus on ")]
        assert focus and focus != gold_focus


def test_expert_datamodule_collects_to_jsonl_then_serves_it_as_episode_data(tiny_models, tmp_path):
    import lightning.pytorch as pl

    from tcod_pl.data.episode import load_episodes
    from tcod_pl.data.episode_datamodule import EpisodeDataModule
    from tcod_pl.modules.sft import SFTModule

    def datamodule():
        return ExpertDataModule(
            env=ScienceWorldConfig(task_names=["find-animal"]),
            max_train_episodes=2,
            max_val_episodes=1,
            batch_size=2,
            cache_dir=str(tmp_path / "cache"),
            num_env_workers=1,
            progress=False,
        )

    dm = datamodule()
    assert isinstance(dm, EpisodeDataModule)
    trainer = pl.Trainer(max_epochs=1, accelerator="cpu", logger=False, enable_checkpointing=False)
    trainer.fit(SFTModule(str(tiny_models["student"])), datamodule=dm)
    train, val = dm.cache_path("train"), dm.cache_path("val")
    assert [len(load_episodes(p)) for p in (train, val)] == [2, 1]
    assert all(e.success for e in load_episodes(train))
    assert len(dm.samples["train"]) == 2 and trainer.global_step == 1  # 2 episodes, batch 2
    # A second module with the same settings reads the cache: no environment is started.
    again = datamodule()
    again.collect = None  # would fail if called
    trainer = pl.Trainer(max_epochs=1, accelerator="cpu", logger=False, enable_checkpointing=False)
    trainer.fit(SFTModule(str(tiny_models["student"])), datamodule=again)
    assert len(again.samples["train"]) == 2
