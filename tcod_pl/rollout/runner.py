"""Multi-turn episodes across an EnvPool, with batched generation across the active episodes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tcod_pl.curriculum.rules import DepthRule
from tcod_pl.data.episode import Episode, Turn
from tcod_pl.data.packing import ChatPacker
from tcod_pl.envs.base import ResetResult, StepResult, TaskSpec
from tcod_pl.envs.pool import EnvFailure, EnvPool
from tcod_pl.rollout.policy import Policy
from tcod_pl.rollout.prompting import AgentPrompt, parse_action

B2F_CONTEXTS = ("summary", "history")


@dataclass
class _Slot:
    task: TaskSpec
    episode: Episode
    replay: list[str]
    budget: int
    message: str = ""  # the user message the next turn answers
    observation: str = ""
    student_turns: int = 0
    done: bool = False
    hints: str = ""
    task_description: str = ""
    summarise: bool = False  # B2F "summary" context: the student's chat starts after the replay
    replayed: list[tuple[str, str]] = field(default_factory=list)  # (action, observation) replayed


class RolloutRunner:
    """Runs episodes; the environment and the policy never see each other.

    ``b2f_context``: what the student sees of a B2F replay. ``"summary"`` (the reference's): the
    replayed expert actions only drive the environment; the student starts a fresh chat whose first
    message carries the task, a short summary of the last two replayed steps and the current
    observation (:meth:`AgentPrompt.resume_message`). ``"history"``: the replay appears as earlier
    chat turns (user observation, assistant ``<action>``). Replayed turns are never supervised and
    are kept in ``Episode.turns`` for the record either way (``Episode.chat_start`` marks where the
    student's chat begins).
    """

    def __init__(
        self,
        pool: EnvPool,
        policy: Policy,
        packer: ChatPacker,
        prompt: AgentPrompt,
        b2f_context: str = "summary",
    ):
        if b2f_context not in B2F_CONTEXTS:
            raise ValueError(f"b2f_context must be one of {B2F_CONTEXTS}, got {b2f_context!r}")
        self.pool = pool
        self.policy = policy
        self.packer = packer
        self.prompt = prompt
        self.b2f_context = b2f_context

    def run(
        self,
        tasks: Sequence[TaskSpec],
        rule: DepthRule,
        temperature: float = 1.0,
        top_p: float = 1.0,
        experts: Sequence[list[str] | None] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> list[Episode]:
        """One episode per task, in task order. ``experts[i]`` is task i's expert actions (B2F, expert)."""
        experts = list(experts) if experts is not None else [None] * len(tasks)
        finished: dict[int, Episode] = {}
        slots: dict[int, tuple[int, _Slot]] = {}  # worker -> (task index, slot)
        queue = list(range(len(tasks)))
        while queue or slots:
            self._fill(slots, queue, tasks, experts, rule, finished, progress)
            if not slots:
                continue
            workers = sorted(slots)
            actions: dict[int, tuple[str, Turn]] = {}
            replaying = [w for w in workers if slots[w][1].replay]
            acting = [w for w in workers if not slots[w][1].replay]
            for w in replaying:
                slot = slots[w][1]
                action = slot.replay.pop(0)
                # Demonstrations are the training signal; B2F replays are context only.
                turn = Turn(
                    slot.message, self.prompt.format_action(action), supervised=rule.supervises_replay
                )
                actions[w] = (action, turn)
            if acting:
                prompts = [self.packer.prompt_ids(slots[w][1].episode, slots[w][1].message) for w in acting]
                for w, gen in zip(acting, self.policy.generate(prompts, temperature, top_p)):
                    slot = slots[w][1]
                    action, _ = parse_action(gen.text)
                    turn = Turn(slot.message, gen.text, gen.token_ids, gen.logprobs, supervised=True)
                    slot.student_turns += 1
                    actions[w] = (action, turn)
            results = self.pool.step([(w, actions[w][0]) for w in workers])
            for w, result in zip(workers, results):
                index, slot = slots[w]
                action, turn = actions[w]
                turn.action = action
                if self._apply(slot, turn, result):
                    finished[index] = slot.episode
                    del slots[w]
                    if progress is not None:
                        progress(1)
            if self.prompt.hints == "every" and slots:
                self._refresh_hints(slots, sorted(slots))
            elif self.prompt.hints == "first":  # a fresh chat after a B2F replay shows them again
                opening = [w for w in sorted(slots) if self._opens_chat(slots[w][1])]
                if opening:
                    self._refresh_hints(slots, opening)
        return [finished[i] for i in range(len(tasks))]

    def _refresh_hints(self, slots: dict[int, tuple[int, _Slot]], workers: list[int]) -> None:
        for w, hint in zip(workers, self.pool.action_hints(workers)):
            slot = slots[w][1]
            if not isinstance(hint, EnvFailure):
                slot.hints = hint
                slot.message = self._message(slot)

    # ----- internals ----------------------------------------------------------------------------------
    def _fill(self, slots, queue, tasks, experts, rule, finished, progress) -> None:
        free = [w for w in range(max(1, self.pool.size)) if w not in slots]
        starts = []
        while free and queue:
            starts.append((free.pop(0), queue.pop(0)))
        if not starts:
            return
        resets = self.pool.reset([(w, tasks[i]) for w, i in starts])
        hints = (
            self.pool.action_hints([w for w, _ in starts]) if self.prompt.wants_hints else [""] * len(starts)
        )
        for (w, i), reset, hint in zip(starts, resets, hints):
            episode = Episode(task=tasks[i].to_dict(), system=self.prompt.system)
            if isinstance(reset, EnvFailure):
                episode.failed = f"reset: {reset.error}"
                finished[i] = episode
                if progress is not None:
                    progress(1)
                continue
            assert isinstance(reset, ResetResult)
            hint_text = "" if isinstance(hint, EnvFailure) else hint
            replay = list((experts[i] or [])[: rule.replay_length(len(experts[i]) if experts[i] else None)])
            episode.expert_prefix = len(replay)
            slot = _Slot(
                tasks[i],
                episode,
                replay,
                rule.student_budget(len(replay)),
                hints=hint_text,
                task_description=reset.task_description,
                summarise=not rule.supervises_replay and self.b2f_context == "summary" and bool(replay),
            )
            slot.message = self.prompt.first_message(reset.task_description, reset.observation, hint_text)
            if slot.budget <= 0 and not replay:
                finished[i] = episode
                if progress is not None:
                    progress(1)
                continue
            slots[w] = (i, slot)

    @staticmethod
    def _opens_chat(slot: _Slot) -> bool:
        """The slot's next turn is the first of a fresh chat after a B2F replay ("summary")."""
        return slot.summarise and not slot.replay and slot.student_turns == 0

    def _message(self, slot: _Slot) -> str:
        """The user message the slot's next turn answers."""
        if self._opens_chat(slot):
            return self.prompt.resume_message(
                slot.task_description, slot.replayed, slot.observation, slot.hints
            )
        return self.prompt.next_message(slot.observation, slot.hints, slot.task_description)

    def _apply(self, slot: _Slot, turn: Turn, result: StepResult | EnvFailure) -> bool:
        """Record the turn; True when the episode is over."""
        episode = slot.episode
        if isinstance(result, EnvFailure):
            turn.valid = False
            episode.turns.append(turn)
            episode.failed = f"step: {result.error}"
            return True
        turn.reward, turn.score, turn.done, turn.valid = (
            result.reward,
            result.score,
            result.done,
            result.valid,
        )
        episode.turns.append(turn)
        episode.score = max(episode.score, result.score)
        episode.final_score = result.score
        episode.success = episode.success or result.success
        slot.observation = result.observation
        slot.hints = result.hints or slot.hints
        if slot.summarise and not turn.supervised and turn.response_ids is None:
            slot.replayed.append((turn.action, result.observation))
            if not slot.replay:  # the replay is over: the student's chat starts at the next turn
                episode.chat_start = len(episode.turns)
        slot.message = self._message(slot)
        if result.done:
            return True
        if slot.replay:
            return False
        return slot.student_turns >= slot.budget
