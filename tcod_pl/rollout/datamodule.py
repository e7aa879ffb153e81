"""Online rollouts with the current student every epoch (one epoch = one training step)."""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from pathlib import Path

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader, IterableDataset
from tqdm.auto import tqdm

from tcod_pl.curriculum import DepthRule, Expert, Full, RolloutRecord, find_curriculum
from tcod_pl.data.episode import Episode, save_episodes
from tcod_pl.data.episode_stats import ResponseStats
from tcod_pl.data.packing import ChatPacker, PackedSample, collate
from tcod_pl.envs.base import EnvConfig, EnvError, TaskSpec, interleave_by_name
from tcod_pl.envs.pool import EnvPool
from tcod_pl.errors import ConfigError
from tcod_pl.models.sharding import gathered
from tcod_pl.rollout.policy import HFPolicy, Policy, derive_seed
from tcod_pl.rollout.prompting import AgentPrompt
from tcod_pl.rollout.runner import B2F_CONTEXTS, RolloutRunner

log = logging.getLogger(__name__)

BATCH_UNITS = ("episodes", "turns")


class _Rollouts(IterableDataset):
    """Rolls out when iterated, with the rule the curriculum gives at that moment."""

    def __init__(self, datamodule: RolloutDataModule, stage: str):
        self.datamodule, self.stage = datamodule, stage

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        yield from self.datamodule.rollout_batches(self.stage)

    # Sized when the count is exact (batch_unit episodes: every episode is packed, even one without
    # a supervised turn), so that Lightning knows a run's steps (progress bar, a schedule's horizon).
    # Under turns the count is known only after the rollouts: unsized, so that Lightning ends the
    # epoch, and validates, where the batches end (a sized loader that ends early never reaches the
    # batch Lightning validates after); schedules count training steps (modules.base).
    def __len__(self) -> int:
        if not self.datamodule.exact_length:
            raise TypeError("batch_unit turns: the batch count is known after the rollouts")
        return self.datamodule.num_batches(self.stage)


class RolloutDataModule(pl.LightningDataModule):
    """Serves packed batches of fresh episodes from ``env`` played by the LightningModule's student.

    The LightningModule must expose ``student`` (a causal LM) and ``tokenizer``. Training rollouts
    ask the trainer's curriculum (``callbacks.CurriculumCallback``, the CLI's ``curriculum:`` key)
    for their depth rule; without one every training episode is full depth (vanilla OPD).
    Evaluation (``val``/``test``) always plays full episodes from the initial state on a fixed panel.

    What one batch (one optimizer update, or 1/``accumulate_grad_batches`` of it) holds:
    ``batch_unit: episodes`` (default): ``batch_size`` episodes (null = the whole step's rollouts);
    ``batch_unit: turns``: ``batch_size`` supervised turns, the reference's update unit
    (``train_batch_size: 64`` turn rows). A step's rollouts then give several batches, hence several
    optimizer updates, and an episode whose turns straddle two batches appears in both with only
    its own turns of each batch supervised; the last batch of a step may hold fewer turns. On N
    ranks each rank's rollouts give their own batch count: ranks agree on the largest, and a rank
    with fewer adds zero-weight filler batches (:meth:`fillers`), so all take the same updates.
    Evaluation batches never split an episode.
    ``b2f_context``: what the student sees of a B2F replay, ``"summary"`` (the reference's: a fresh
    chat that opens with a summary of the last two replayed steps) or ``"history"`` (the replay as
    earlier chat turns); see :class:`~tcod_pl.rollout.runner.RolloutRunner`.
    ``max_turns`` caps training episodes; ``eval_max_turns`` (default: ``max_turns``) caps the
    panel's, so training rollouts can be made shorter than the evaluation's T_max.
    ``on_policy_fraction`` (GKD's lambda, TRL's ``lmbda``): the share of each step's
    ``episodes_per_step`` the student plays; the rest are demonstrations, the environment's expert
    trajectories of other training tasks (capped at ``max_turns``), which the teacher scores like
    the student's own turns (the module's ``off_policy_loss``), to keep the student near the states
    that lead to success; the curriculum and the rollout statistics see the student's episodes only.
    Each packed batch carries per-episode outcomes (success, score, rounds, invalid rate) and
    response statistics (:mod:`tcod_pl.data.episode_stats`) as ``outcome_*`` fields.
    """

    def __init__(
        self,
        env: EnvConfig,
        episodes_per_step: int = 16,
        on_policy_fraction: float = 1.0,
        batch_size: int | None = None,
        batch_unit: str = "episodes",
        max_turns: int = 30,
        eval_max_turns: int | None = None,
        train_split: str = "train",
        val_split: str = "dev",
        test_split: str = "test",
        val_episodes: int = 32,
        test_episodes: int | None = None,
        temperature: float = 1.0,
        eval_temperature: float = 0.4,
        top_p: float = 1.0,
        num_env_workers: int = 2,
        step_timeout: float = 120.0,
        policy: Policy | None = None,
        prompt: AgentPrompt | None = None,
        packing: str = "auto",
        max_length: int | None = None,
        seed: int = 0,
        progress: bool = True,
        episodes_dir: str | None = None,
        b2f_context: str = "summary",
    ):
        super().__init__()
        if episodes_per_step < 1:
            raise ConfigError(f"data.episodes_per_step must be >= 1, got {episodes_per_step}")
        if max_turns < 1:
            raise ConfigError(f"data.max_turns must be >= 1, got {max_turns}")
        if not 0.0 <= on_policy_fraction <= 1.0:
            raise ConfigError(
                f"data.on_policy_fraction must be in [0, 1] (1 = every training episode is the "
                f"student's; 0.5 = half are expert demonstrations), got {on_policy_fraction}"
            )
        if batch_unit not in BATCH_UNITS:
            raise ConfigError(f"data.batch_unit must be one of {BATCH_UNITS}, got {batch_unit!r}")
        if eval_max_turns is not None and eval_max_turns < 1:
            raise ConfigError(
                f"data.eval_max_turns must be >= 1 (or null for max_turns), got {eval_max_turns}"
            )
        if batch_size is not None and batch_size < 1:
            raise ConfigError(
                f"data.batch_size must be >= 1 {batch_unit} (or null for all), got {batch_size}"
            )
        if batch_unit == "turns" and batch_size is None:
            raise ConfigError(
                "data.batch_unit 'turns' needs data.batch_size: supervised turns per batch (e.g. 64)"
            )
        if b2f_context not in B2F_CONTEXTS:
            raise ConfigError(f"data.b2f_context must be one of {B2F_CONTEXTS}, got {b2f_context!r}")
        if num_env_workers < 0:
            raise ConfigError(
                f"data.num_env_workers must be >= 0 (0 = one environment in this process), got {num_env_workers}"
            )
        self.env = env
        self.b2f_context = b2f_context
        self.episodes_per_step = episodes_per_step
        self.on_policy_fraction = on_policy_fraction
        self.batch_size = batch_size
        self.batch_unit = batch_unit
        self.max_turns = max_turns
        self.eval_max_turns = eval_max_turns if eval_max_turns is not None else max_turns
        self.splits = {"train": train_split, "val": val_split, "test": test_split}
        self.eval_episodes = {"val": val_episodes, "test": test_episodes}
        self.temperature = temperature
        self.eval_temperature = eval_temperature
        self.top_p = top_p
        self.num_env_workers = num_env_workers
        self.step_timeout = step_timeout
        self.policy = policy if policy is not None else HFPolicy()
        self.prompt = prompt if prompt is not None else AgentPrompt()
        self.packing = packing
        self.max_length = max_length
        self.seed = seed
        self.progress = progress
        self.episodes_dir = episodes_dir
        self.last_rollout_metrics: dict[str, float] = {}  # the latest training rollouts' figures
        self.depth_history: list[dict] = []  # what each training step's rollouts were (RolloutRecord)
        self.last_episodes: dict[str, list[Episode]] = {}
        self._tasks: dict[str, list[TaskSpec]] = {}
        self._experts: dict[TaskSpec, list[str] | None] = {}
        self._pool: EnvPool | None = None
        self._packer: ChatPacker | None = None
        self._response_stats: ResponseStats | None = None
        # The task sets are cheap to list (no environment starts); listing them now reports an
        # unknown split before the trainer, the models' rollouts or any worker start.
        for option, split in (
            ("train_split", train_split),
            ("val_split", val_split),
            ("test_split", test_split),
        ):
            if split not in self._tasks:
                try:
                    self._tasks[split] = env.tasks(split)
                except EnvError as err:
                    raise ConfigError(f"data.{option} {split!r}: {err}") from err

    # ----- Lightning hooks -------------------------------------------------------------------------------
    def setup(self, stage: str) -> None:
        for split in self.splits.values():
            if split not in self._tasks:
                self._tasks[split] = self.env.tasks(split)

    def teardown(self, stage: str) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def train_dataloader(self) -> DataLoader:
        return DataLoader(_Rollouts(self, "train"), batch_size=None)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(_Rollouts(self, "val"), batch_size=None)

    def test_dataloader(self) -> DataLoader:
        return DataLoader(_Rollouts(self, "test"), batch_size=None)

    def state_dict(self) -> dict:
        return {"depth_history": self.depth_history}

    def load_state_dict(self, state: dict) -> None:
        self.depth_history = list(state.get("depth_history", []))

    # ----- rollouts -----------------------------------------------------------------------------------
    @property
    def exact_length(self) -> bool:
        """Whether ``num_batches`` is the training loader's exact length (else an upper bound)."""
        return self.batch_unit == "episodes"

    def num_batches(self, stage: str) -> int:
        # Evaluation: the largest shard's count (shards differ by one episode; a shorter one is
        # topped up with fillers, so that every rank runs the same number of steps).
        world = self.trainer.world_size if self.trainer is not None else 1
        episodes = self.episodes_per_step if stage == "train" else -(-len(self.eval_panel(stage)) // world)
        if self.batch_unit == "turns":  # an upper bound: every episode at its turn cap
            cap = self.max_turns if stage == "train" else self.eval_max_turns
            return -(-episodes * cap // self.batch_size)
        per_batch = self.batch_size or max(1, episodes)
        return -(-episodes // per_batch)

    def rollout_batches(self, stage: str) -> Iterator[dict[str, torch.Tensor]]:
        episodes = self.rollout(stage)
        samples = self.packer.pack_many(episodes, with_outcome=True)
        # Response statistics travel with the outcomes (per episode, logged by the module).
        stats = [self.response_stats(e) for e in episodes]
        for s in samples:
            s.outcome.update(stats[s.episode])
        if self.batch_unit == "turns":
            pad = self.packer.tokenizer.pad_token_id
            batches = [
                collate(c, pad) for c in turn_batches(samples, self.batch_size, split=stage == "train")
            ]
        else:
            batches = list(self._batches(samples, len(episodes)))
        if self.batch_unit == "turns" or stage != "train":
            batches += self.fillers(batches, samples)
        yield from batches

    def fillers(
        self, batches: list[dict[str, torch.Tensor]], samples: list[PackedSample] | None = None
    ) -> list[dict[str, torch.Tensor]]:
        """Zero-weight batches that bring this rank to the largest batch count of all ranks.

        Under ``batch_unit: turns`` each rank's rollouts give their own number of batches; ranks
        that took different numbers of optimizer steps would deadlock in DDP's gradient all-reduce
        (and disagree on the weights). A filler is a copy of one of this rank's batches marked
        ``filler``: the module scores it (so every parameter joins the collective calls) and
        multiplies its loss by 0, so it adds nothing to the update and nothing to the metrics.
        Evaluation gets them too, under either unit: a rank's shard of the panel may hold more
        episodes than another's, and a sharded student's every forward is a collective.
        """
        if self.trainer is None or self.trainer.world_size <= 1:
            return []
        strategy = self.trainer.strategy  # every rank joins the count, even one with no batch
        count = torch.tensor(len(batches), device=strategy.root_device)
        most = int(strategy.reduce(count, reduce_op="max"))
        if most == len(batches):
            return []
        if batches:
            template = batches[-1]
        elif samples:  # no supervised turn on this rank: any packed sample scores like one
            template = collate(samples[:1], self.packer.tokenizer.pad_token_id)
        else:
            raise ConfigError(
                f"rank {self.trainer.global_rank} has no episode to score while others have "
                f"{most} batches: give every rank episodes (data.val_episodes / test_episodes >= "
                f"{self.trainer.world_size}, the number of ranks)"
            )
        template = {**template, "filler": torch.ones(1, dtype=torch.bool)}
        template["episode_first"] = torch.zeros_like(template["episode_first"])
        return [template] * (most - len(batches))

    def rollout(self, stage: str) -> list[Episode]:
        """Play this stage's episodes with the current student (then a training step's
        demonstrations, if any) and return them."""
        # A sharded student is gathered once for the whole rollout (tcod_pl.models.sharding).
        student = self.trainer.lightning_module.student
        with gathered(student) if self.policy.runs_the_module else contextlib.nullcontext():
            return self._rollout(stage)

    def _rollout(self, stage: str) -> list[Episode]:
        module = self.trainer.lightning_module
        step, rank = self.trainer.current_epoch, self.trainer.global_rank
        # Binding is where an engine-backed policy syncs the student's weights: every rollout
        # (train, validation, test, the first of a resumed run) sees the current student.
        self.policy.bind(module.student, module.tokenizer, version=self.trainer.global_step)
        self.policy.reseed(derive_seed(self.seed, stage, step, rank))
        demo_tasks: list[TaskSpec] = []
        if stage == "train":
            tasks = self.train_tasks(self.trainer.current_epoch)
            n_student = round(self.on_policy_fraction * len(tasks))
            tasks, demo_tasks = tasks[:n_student], tasks[n_student:]
            rule = self.training_rule()
            temperature = self.temperature
        else:
            tasks = self.eval_tasks(stage)
            rule = Full(max_turns=self.eval_max_turns)
            temperature = self.eval_temperature
        experts = self.experts(tasks) if rule.needs_expert else None
        bar = tqdm(
            total=len(tasks) + len(demo_tasks),
            desc=f"rollout {stage}" + (f" step {self.trainer.current_epoch + 1}" if stage == "train" else ""),
            leave=False,
            disable=not self.progress or self.trainer.global_rank != 0,
            unit="ep",
        )
        start = time.perf_counter()
        with bar:
            episodes = self.runner().run(tasks, rule, temperature, self.top_p, experts, bar.update)
            elapsed = time.perf_counter() - start
            demos = self.demonstrations(demo_tasks, bar.update)
        failed = [e.failed for e in episodes if e.failed]
        if failed:
            log.warning(
                "%d/%d %s episodes hit an environment failure: %s",
                len(failed),
                len(episodes),
                stage,
                failed[0],
            )
        if stage == "train":
            record = RolloutRecord.of(self.trainer.current_epoch, rule, episodes)
            # A step replayed after a teacher fault (resumed mid-step) replaces its earlier record.
            self.depth_history = [r for r in self.depth_history if r.get("epoch") != record.epoch]
            self.depth_history.append(asdict(record))
            curriculum = find_curriculum(self.trainer)
            if curriculum is not None:
                curriculum.report(record)
            self._log_throughput(episodes, elapsed)
        episodes += demos
        self.last_episodes[stage] = episodes
        if self.episodes_dir is not None:
            # Training files by the step they train, evaluation files by the optimizer steps the
            # evaluated student has had (0 = before training), so no panel overwrites another.
            step = self.trainer.current_epoch + 1 if stage == "train" else self.trainer.global_step
            name = f"{stage}-step{step:04d}-rank{self.trainer.global_rank}.jsonl"
            save_episodes(episodes, Path(self.episodes_dir) / name)
        return episodes

    def demonstrations(self, tasks: list[TaskSpec], progress: Callable[[int], None]) -> list[Episode]:
        """Expert episodes of ``tasks``, every turn supervised, at most ``max_turns`` long."""
        if not tasks:
            return []
        experts = [a[: self.max_turns] if a else None for a in self.experts(tasks)]
        episodes = self.runner().run(
            tasks, Expert(max_turns=self.max_turns), experts=experts, progress=progress
        )
        for episode in episodes:
            episode.demonstration = True
        missing = sum(not e.num_supervised for e in episodes)
        if missing:
            log.warning("%d/%d demonstration tasks have no expert trajectory", missing, len(tasks))
        return episodes

    def training_rule(self) -> DepthRule:
        """The depth rule of the training step being played: the curriculum's, else full episodes."""
        curriculum = find_curriculum(self.trainer)
        return curriculum.rule(self.max_turns) if curriculum is not None else Full(max_turns=self.max_turns)

    def train_tasks(self, epoch: int) -> list[TaskSpec]:
        """This rank's tasks for training step ``epoch + 1``: a fixed function of (seed, epoch, rank)."""
        pool = self._tasks[self.splits["train"]]
        if not pool:
            raise ConfigError(f"the '{self.splits['train']}' split of {self.env!r} has no tasks")
        rng = random.Random(f"{self.seed}:{epoch}:{self.trainer.global_rank}")
        if len(pool) >= self.episodes_per_step:
            return rng.sample(pool, self.episodes_per_step)
        return [rng.choice(pool) for _ in range(self.episodes_per_step)]

    def eval_panel(self, stage: str) -> list[TaskSpec]:
        """A deterministic panel that cycles through task types (all ranks' episodes)."""
        interleaved = interleave_by_name(self._tasks[self.splits[stage]])
        limit = self.eval_episodes[stage]
        return interleaved if limit is None else interleaved[:limit]

    def eval_tasks(self, stage: str) -> list[TaskSpec]:
        """This rank's shard of the panel."""
        return self.eval_panel(stage)[self.trainer.global_rank :: self.trainer.world_size]

    def experts(self, tasks: list[TaskSpec]) -> list[list[str] | None]:
        missing = list(dict.fromkeys(t for t in tasks if t not in self._experts))
        if missing:
            for task, actions in zip(missing, self.pool.expert_actions(missing)):
                self._experts[task] = actions
        return [self._experts[t] for t in tasks]

    # ----- plumbing ---------------------------------------------------------------------------------
    @property
    def pool(self) -> EnvPool:
        if self._pool is None:
            self._pool = EnvPool(self.env, self.num_env_workers, step_timeout=self.step_timeout)
        return self._pool

    @property
    def packer(self) -> ChatPacker:
        if self._packer is None:
            self._packer = ChatPacker(self.trainer.lightning_module.tokenizer, self.max_length, self.packing)
        return self._packer

    @property
    def response_stats(self) -> ResponseStats:
        if self._response_stats is None:
            tokenizer = self.packer.tokenizer
            self._response_stats = ResponseStats(lambda i: tokenizer.decode([i]))
        return self._response_stats

    def runner(self) -> RolloutRunner:
        return RolloutRunner(self.pool, self.policy, self.packer, self.prompt, self.b2f_context)

    def _batches(self, samples: list[PackedSample], n_episodes: int) -> Iterator[dict[str, torch.Tensor]]:
        per_batch = self.batch_size or max(1, n_episodes)
        pad = self.packer.tokenizer.pad_token_id
        chunk: list[PackedSample] = []
        for s in samples:
            if chunk and s.episode // per_batch != chunk[0].episode // per_batch:
                yield collate(chunk, pad)
                chunk = []
            chunk.append(s)
        if chunk:
            yield collate(chunk, pad)

    def _log_throughput(self, episodes: list[Episode], seconds: float) -> None:
        """Rollout wall time, student tokens/s and the policy's own figures (e.g. weight-sync
        seconds), straight to the loggers: rollouts run while the loader fetches, outside any
        LightningModule hook where ``self.log`` is allowed."""
        tokens = sum(len(t.response_ids or []) for e in episodes for t in e.turns if t.supervised)
        metrics = {"rollout/seconds": seconds, "rollout/tokens_per_s": tokens / max(seconds, 1e-9)}
        policy = self.policy.stats()
        metrics.update({f"rollout/{k}": v for k, v in policy.items()})
        # Where a step's time goes, beside the module's time/teacher_s and time/train_s.
        metrics["time/rollout_s"] = seconds
        metrics["time/weight_sync_s"] = float(policy.get("weight_sync_s", 0.0))
        self.last_rollout_metrics = metrics  # for callbacks: these bypass callback_metrics
        for logger in self.trainer.loggers:
            logger.log_metrics(metrics, step=self.trainer.global_step)


def _turns_of(sample: PackedSample) -> list[int]:
    return sorted({t for t, m in zip(sample.turn_index, sample.loss_mask) if m})


def _only_turns(sample: PackedSample, keep: set[int], first: bool) -> PackedSample:
    """The same tokens with only the turns in ``keep`` supervised."""
    mask = [m and t in keep for t, m in zip(sample.turn_index, sample.loss_mask)]
    return replace(sample, loss_mask=mask, first=first)


def turn_batches(
    samples: list[PackedSample], per_batch: int, split: bool = True
) -> Iterator[list[PackedSample]]:
    """Group samples so that each group holds ``per_batch`` supervised turns (the last may hold fewer).

    ``split``: an episode's turns may be divided between consecutive groups (each copy supervises
    its own turns; episode-level outcomes stay on the first copy); otherwise whole samples are
    added until a group reaches ``per_batch`` turns. Samples without supervised turns ride along.
    """
    chunk: list[PackedSample] = []
    count = 0
    for sample in samples:
        turns = _turns_of(sample)
        if not split or not turns:
            chunk.append(sample)
            count += len(turns)
        else:
            first = sample.first
            while turns:
                take, turns = turns[: per_batch - count], turns[per_batch - count :]
                chunk.append(_only_turns(sample, set(take), first))
                first = False
                count += len(take)
                if turns:  # the group is full and this episode goes on in the next one
                    yield chunk
                    chunk, count = [], 0
        if count >= per_batch:
            yield chunk
            chunk, count = [], 0
    if chunk:
        yield chunk
