"""Expert trajectories (ScienceWorld gold paths, ALFWorld expert plans) as chats, for SFT."""

from __future__ import annotations

import hashlib
import logging
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from tcod_pl.curriculum.rules import Expert
from tcod_pl.data.episode import Episode, load_episodes, save_episodes
from tcod_pl.data.episode_datamodule import EpisodeDataModule
from tcod_pl.data.packing import ChatPacker
from tcod_pl.envs.base import EnvConfig, TaskSpec, interleave_by_name
from tcod_pl.envs.pool import EnvPool
from tcod_pl.errors import ConfigError
from tcod_pl.rollout.policy import Generation, Policy
from tcod_pl.rollout.prompting import AgentPrompt
from tcod_pl.rollout.runner import RolloutRunner

log = logging.getLogger(__name__)


class _NoPolicy(Policy):
    def generate(
        self, prompts: Sequence[list[int]], temperature: float, top_p: float = 1.0
    ) -> list[Generation]:
        raise RuntimeError("expert collection never asks a policy to act")


@dataclass
class Counterfactuals:
    """Extra demonstrations: the expert's target object swapped for other objects the prompt lists.

    For each expert episode, the argument of its first action matching ``target_action`` (group 1)
    is replaced, in every action, by up to ``per_task`` other names read from the ``candidates_line``
    hint of that turn. Each variant is replayed in the real environment and kept only when every
    action was valid and the task succeeded, so the model sees many correct targets per task type
    and has to copy the name it chose instead of recalling one from training.
    """

    per_task: int = 4
    target_action: str = r"^focus on (.+)$"
    candidates_line: str = "Objects:"
    seed: int = 0

    def variants(self, episode: Episode) -> list[list[str]]:
        actions = [t.action for t in episode.turns]
        pattern = re.compile(self.target_action)
        at = next((i for i, a in enumerate(actions) if pattern.search(a)), None)
        if at is None or self.candidates_line not in episode.turns[at].observation:
            return []
        target = pattern.search(actions[at]).group(1)
        listed = episode.turns[at].observation.split(self.candidates_line, 1)[1].splitlines()[0]
        names = [n.strip() for n in listed.split(",") if n.strip() and n.strip() != target]
        random.Random(f"{self.seed}:{episode.task}").shuffle(names)
        word = re.compile(r"(?<!\w)" + re.escape(target) + r"(?!\w)")
        return [[word.sub(name, a) for a in actions] for name in names[: self.per_task]]


@dataclass
class NameSwaps:
    """Text-level demonstrations in which only copying from the context predicts the action.

    For episodes of ``tasks``, every object name of a known category is renamed to another name of
    the same category, consistently across the whole episode (observations, responses, actions),
    ``copies`` times per episode. Categories are read off the demonstrations themselves:
    ``categories`` maps a task type to the category of the things its expert focuses on (the
    targets of ``target_action``; e.g. what ``find-animal`` or a lifespan task focuses on is an
    animal); a name that is a target of several categories keeps the first one listed. Only names
    that the ``names_line`` hint lists somewhere count (real object names, not parser referents).
    The renamed episode is as valid as the original (the task asks for *an* animal, or *a*
    non-living thing), but a model that recalls names seen in training instead of copying the one
    in front of it now predicts the wrong name. No environment is needed.
    """

    copies: int = 2
    tasks: tuple[str, ...] = ("find-animal", "find-living-thing", "find-non-living-thing")
    categories: dict[str, str] = field(
        default_factory=lambda: {
            "find-animal": "animal",
            "find-living-thing": "animal",
            "lifespan-longest-lived": "animal",
            "lifespan-shortest-lived": "animal",
            "lifespan-longest-lived-then-shortest-lived": "animal",
            "find-non-living-thing": "non-living",
        }
    )
    target_action: str = r"^focus on (.+)$"
    names_line: str = "Objects:"
    seed: int = 0
    # Draw new names every epoch (needs trainer.reload_dataloaders_every_n_epochs: 1). Fixed
    # copies can be memorised (the rest of a copy identifies it); fresh ones only copied.
    fresh_each_epoch: bool = False
    # A name starting (ending) with one of these swaps only with names sharing it: the environment
    # derives names from it (ScienceWorld's "egg parrot" is "egg parrot egg" in the inventory,
    # "blue jay" is "egg blue jay egg"), which a swap across the forms would garble.
    keep_prefixes: tuple[str, ...] = ("egg ",)
    keep_suffixes: tuple[str, ...] = (" egg",)

    def name_categories(self, episodes: Sequence[Episode]) -> dict[str, str]:
        """Object name -> its category, from the targets of each task type's demonstrations."""
        pattern = re.compile(self.target_action)
        listed: set[str] = set()
        targets: dict[str, set[str]] = {}
        for ep in episodes:
            for turn in ep.turns:
                for line in turn.observation.splitlines():
                    if self.names_line in line:
                        listed.update(n.strip() for n in line.split(self.names_line, 1)[1].split(","))
                match = pattern.search(turn.action)
                if match:
                    targets.setdefault(ep.task.get("name"), set()).add(match.group(1).strip())
        category: dict[str, str] = {}
        for task, label in self.categories.items():
            for name in sorted(targets.get(task, ())):
                if name in listed:
                    category.setdefault(name, label)
        return category

    def augment(self, episodes: Sequence[Episode], epoch: int = 0) -> list[Episode]:
        """``copies`` renamed variants of each episode of ``tasks`` (the originals not included);
        ``epoch`` varies the names drawn when ``fresh_each_epoch``."""
        if self.copies < 0:
            raise ConfigError(f"name_swaps.copies must be >= 0, got {self.copies}")
        category = self.name_categories(episodes)
        if not category or self.copies == 0:
            return []
        pools: dict[tuple[str, str, str], list[str]] = {}
        for name, label in sorted(category.items()):
            pools.setdefault(self._pool(name, label), []).append(name)
        # Longest first, so that "brown bear" is one match rather than "bear" inside it; an article
        # before a name is matched too, so that "a ant" can become "an ant".
        alternatives = "|".join(re.escape(n) for n in sorted(category, key=len, reverse=True))
        names = re.compile(r"(?<![\w-])(?:\b(a|an) )?(" + alternatives + r")(?![\w-])")
        rng = random.Random(f"{self.seed}:{epoch}" if self.fresh_each_epoch else self.seed)
        out = []
        for ep in episodes:
            if ep.task.get("name") not in self.tasks:
                continue
            text = "\n".join(t.observation + "\n" + t.response for t in ep.turns)
            present = sorted({m.group(2) for m in names.finditer(text)})
            for _ in range(self.copies):
                # Each name of a category takes a random name of the same category that the
                # episode does not hold (one to one); a name keeps itself when none is left.
                taken = set(present)
                mapping = {}
                for name in present:
                    free = [n for n in pools[self._pool(name, category[name])] if n not in taken]
                    if free:
                        mapping[name] = rng.choice(free)
                        taken.add(mapping[name])
                out.append(_renamed(ep, names, mapping))
        return out

    def _pool(self, name: str, label: str) -> tuple[str, str, str]:
        prefix = next((p for p in self.keep_prefixes if name.startswith(p)), "")
        return label, prefix, next((x for x in self.keep_suffixes if name.endswith(x)), "")


def _renamed(episode: Episode, names: re.Pattern, mapping: dict[str, str]) -> Episode:
    def sub(match: re.Match) -> str:
        new = mapping.get(match.group(2), match.group(2))
        if match.group(1) is None:
            return new
        article = "an" if new[:1].lower() in "aeiou" else "a"
        return f"{article} {new}"

    copy = Episode.from_dict(episode.to_dict())
    for turn in copy.turns:
        turn.observation = names.sub(sub, turn.observation)
        turn.response = names.sub(sub, turn.response)
        turn.action = names.sub(sub, turn.action)
        turn.response_ids = turn.logprobs = None  # the text changed; packing re-tokenises it
    return copy


def collect_expert_episodes(
    env: EnvConfig,
    tasks: list[TaskSpec],
    packer: ChatPacker,
    prompt: AgentPrompt,
    num_workers: int = 2,
    max_turns: int = 100,
    progress: bool = True,
    skip_actions: Sequence[str] = (),
    mistake_rate: float = 0.0,
    seed: int = 0,
    counterfactuals: Counterfactuals | None = None,
) -> list[Episode]:
    """Replay each task's expert actions in the real environment and record the chat.

    ``skip_actions``: regular expressions; expert actions matching one are dropped before the
    replay (e.g. actions that are no-ops under a simplification, such as opening open doors).
    ``mistake_rate``: also record, per task, a recovery demonstration: before each expert action,
    with this probability, an action borrowed from another task's expert (the kind of wrong name a
    small policy produces) is played first, unsupervised, with the environment's real answer.
    Only copies whose every injected action the environment rejected (state unchanged) and that
    still succeed are kept, so the model learns to recover from an invalid action.
    ``counterfactuals``: also record verified variants with another target (see ``Counterfactuals``).
    """
    with EnvPool(env, num_workers) as pool:
        bar = tqdm(total=len(tasks), desc="expert actions", unit="task", disable=not progress)
        experts = []
        for start in range(0, len(tasks), 32):
            batch = tasks[start : start + 32]
            experts += pool.expert_actions(batch)
            bar.update(len(batch))
        bar.close()
        if skip_actions:
            skip = re.compile("|".join(f"(?:{p})" for p in skip_actions))
            experts = [[a for a in e if not skip.search(a)] if e else e for e in experts]
        keep = [(t, e) for t, e in zip(tasks, experts) if e]
        if len(keep) < len(tasks):
            log.warning(
                "%d of %d tasks have no expert trajectory; skipped", len(tasks) - len(keep), len(tasks)
            )
        injected: list[list[int]] = []
        if mistake_rate > 0:
            copies = inject_mistakes([e for _, e in keep], mistake_rate, seed)
            injected = [at for _, at in copies]
            keep += [(t, actions) for (t, _), (actions, _) in zip(keep, copies)]
        runner = RolloutRunner(pool, _NoPolicy(), packer, prompt)

        def replay(jobs: list[tuple[TaskSpec, list[str]]], what: str) -> list[Episode]:
            with tqdm(total=len(jobs), desc=what, unit="ep", disable=not progress) as bar:
                rule = Expert(max_turns=max_turns)
                return runner.run(
                    [t for t, _ in jobs], rule, experts=[a for _, a in jobs], progress=bar.update
                )

        episodes = replay(keep, "expert episodes")
        n_plain = len(keep) - len(injected)
        plain = [e for e in episodes[:n_plain] if not e.failed]
        variants = []
        if counterfactuals is not None and counterfactuals.per_task > 0:
            jobs = [(TaskSpec.from_dict(e.task), v) for e in plain for v in counterfactuals.variants(e)]
            replayed = replay(jobs, "counterfactual episodes")
            variants = [e for e in replayed if e.success and not e.failed and all(t.valid for t in e.turns)]
            log.info("%d of %d counterfactual demonstrations kept", len(variants), len(jobs))
    recovered = []
    for episode, at in zip(episodes[n_plain:], injected):
        if at and _recovers(episode, at):
            for i in at:
                episode.turns[i].supervised = False
            recovered.append(episode)
    if mistake_rate > 0:
        log.info("%d of %d recovery demonstrations kept", len(recovered), len(injected))
    return plain + recovered + variants


def inject_mistakes(
    experts: Sequence[list[str]], rate: float, seed: int = 0
) -> list[tuple[list[str], list[int]]]:
    """For each expert, a copy with wrong actions inserted and the indices where they sit.

    A wrong action is another expert action of the set (so it names things the model has seen)
    that differs from the expert's own next action.
    """
    if not 0 <= rate <= 1:
        raise ConfigError(f"mistake_rate must be in [0, 1], got {rate}")
    rng = random.Random(seed)
    pool = sorted({a for e in experts for a in e})
    out = []
    for actions in experts:
        copy: list[str] = []
        at: list[int] = []
        for action in actions:
            if rng.random() < rate and len(pool) > 1:
                wrong = rng.choice(pool)
                while wrong == action:
                    wrong = rng.choice(pool)
                at.append(len(copy))
                copy.append(wrong)
            copy.append(action)
        out.append((copy, at))
    return out


def _recovers(episode: Episode, injected: list[int]) -> bool:
    """Every injected action was rejected (state unchanged) and the episode still succeeded."""
    turns = episode.turns
    return (
        not episode.failed
        and episode.success
        and all(i < len(turns) and not turns[i].valid for i in injected)
    )


class ExpertDataModule(EpisodeDataModule):
    """Expert episodes of ``env``'s train / val splits: collected once into JSONL, then served by
    :class:`~tcod_pl.data.episode_datamodule.EpisodeDataModule` (the same packing and loaders)."""

    files_exist_at_init = False  # prepare_data writes them

    def __init__(
        self,
        env: EnvConfig,
        train_split: str = "train",
        val_split: str | None = "dev",
        max_train_episodes: int | None = None,
        max_val_episodes: int | None = 64,
        batch_size: int = 8,
        cache_dir: str = "artifacts/expert_cache",
        prompt: AgentPrompt | None = None,
        packing: str = "auto",
        max_length: int | None = None,
        max_turns: int = 100,
        num_env_workers: int = 2,
        progress: bool = True,
        skip_actions: list[str] | None = None,
        mistake_rate: float = 0.0,
        counterfactuals: Counterfactuals | None = None,
        name_swaps: NameSwaps | None = None,
    ):
        if not 0 <= mistake_rate <= 1:
            raise ConfigError(f"data.mistake_rate must be in [0, 1], got {mistake_rate}")
        self.env = env
        self.splits = {"train": train_split, "val": val_split}
        self.limits = {"train": max_train_episodes, "val": max_val_episodes}
        self.cache_dir = Path(cache_dir)
        self.prompt = prompt if prompt is not None else AgentPrompt()
        self.max_turns = max_turns
        self.num_env_workers = num_env_workers
        self.progress = progress
        self.skip_actions = list(skip_actions or [])
        self.mistake_rate = mistake_rate
        self.counterfactuals = counterfactuals
        self.name_swaps = name_swaps
        self._gold_samples: list = []  # the train split's own samples, before renamed copies
        self._renamed_epoch: int | None = None
        files = {
            stage: str(self.cache_path(stage)) if split else None for stage, split in self.splits.items()
        }
        super().__init__(
            files["train"], files["val"], batch_size=batch_size, max_length=max_length, packing=packing
        )

    def cache_path(self, stage: str) -> Path:
        key = repr(
            (
                self.env.cache_key(),
                self.splits[stage],
                self.limits[stage],
                self.prompt.system,
                self.prompt.hints,
            )
        )
        if self.prompt.hint_lines is not None:  # keeps existing cache keys valid
            key += repr(self.prompt.hint_lines)
        if self.prompt.task_every_turn:
            key += "task_every_turn"
        if self.skip_actions:
            key += repr(self.skip_actions)
        if self.mistake_rate and stage == "train":
            key += f"mistakes={self.mistake_rate}"
        if self.counterfactuals is not None and stage == "train":
            key += repr(self.counterfactuals)
        digest = hashlib.sha256(key.encode()).hexdigest()[:12]
        return self.cache_dir / f"{self.env.name}-{self.splits[stage]}-{digest}.jsonl"

    def collect(self, stage: str, packer: ChatPacker) -> list[Episode]:
        """Replay the expert episodes of ``stage``'s split and write them to its cache file."""
        tasks = self.env.tasks(self.splits[stage])
        limit = self.limits[stage]
        tasks = tasks if limit is None else interleave_by_name(tasks)[:limit]
        episodes = collect_expert_episodes(
            self.env,
            tasks,
            packer,
            self.prompt,
            self.num_env_workers,
            self.max_turns,
            self.progress,
            self.skip_actions,
            self.mistake_rate if stage == "train" else 0.0,
            counterfactuals=self.counterfactuals if stage == "train" else None,
        )
        path = self.cache_path(stage)
        save_episodes(episodes, path)
        log.info("cached %d expert episodes at %s", len(episodes), path)
        return episodes

    def episodes(self, stage: str, packer: ChatPacker) -> list[Episode]:
        """The cached expert episodes of ``stage``, collected first when there is no cache."""
        path = self.cache_path(stage)
        return load_episodes(path) if path.is_file() else self.collect(stage, packer)

    def prepare_data(self) -> None:
        """Collect what is not cached yet (Lightning runs this on one process; ranks then read)."""
        for stage, split in self.splits.items():
            if split is not None and not self.cache_path(stage).is_file():
                self.collect(stage, self.packer())

    def setup(self, stage: str) -> None:
        self.prepare_data()  # a no-op once cached; covers a call without prepare_data
        fresh = "train" not in self.samples
        super().setup(stage)
        if fresh and self.name_swaps is not None and "train" in self.samples:
            self._gold_samples = self.samples["train"]
            self._add_renamed(epoch=0)

    def train_dataloader(self) -> DataLoader:
        if self.name_swaps is not None and self.name_swaps.fresh_each_epoch and self.trainer is not None:
            if self.trainer.reload_dataloaders_every_n_epochs != 1:
                raise ConfigError(
                    "data.name_swaps.fresh_each_epoch needs trainer.reload_dataloaders_every_n_epochs: 1 "
                    "(Lightning builds the training loader once otherwise)"
                )
            self._add_renamed(self.trainer.current_epoch)
        return super().train_dataloader()

    def _add_renamed(self, epoch: int) -> None:
        """Gold samples + this epoch's renamed copies (text-only and seeded: never cached)."""
        if epoch == self._renamed_epoch:
            return
        renamed = self.name_swaps.augment(load_episodes(self.files["train"]), epoch=epoch)
        self.samples["train"] = self._gold_samples + self.packer().pack_many(renamed)
        self._renamed_epoch = epoch
