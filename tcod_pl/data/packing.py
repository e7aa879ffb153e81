"""Episodes -> token sequences through the tokenizer's chat template.

By default (``"tokens"``, token-level accumulation as verl's agent loop does) an episode is ONE
sequence: the chat template renders the opening (system + first user message) once and then only
each new user message, appended to the exact ids generated so far; every turn's prompt is a prefix
of the sequence by construction, so the episode is scored by one forward pass and built with O(T)
template renders, whatever the template does to earlier turns (Qwen3's templates strip earlier
``<think>`` blocks: here the policy and the scorer both see the reasoning it wrote). ``"packed"``
re-renders the whole chat each turn and packs only a prefix-stable template; ``"per_turn"`` gives
each turn its own sample carrying its full rendered prompt (the reference implementation's layout).
The policy asks the same object for its generation prompts, so the tokens it was conditioned on are
exactly the tokens that are later scored.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import torch
from transformers import PreTrainedTokenizerBase

from tcod_pl.data.episode import Episode, Turn

log = logging.getLogger(__name__)


@dataclass
class PackedSample:
    input_ids: list[int]
    loss_mask: list[bool]  # token i is a supervised response token
    turn_index: list[int]  # turn of each response token, -1 elsewhere
    behaviour_logprobs: list[float]  # NaN where unknown (prompt, text-only turns)
    episode: int = 0  # which episode (of those packed together) this sample belongs to
    first: bool = True  # first sample of its episode: episode-level outcomes are counted once
    outcome: dict[str, float] = field(default_factory=dict)
    on_policy: bool = True  # False: an expert demonstration (Episode.demonstration), not student samples

    def __len__(self) -> int:
        return len(self.input_ids)


# Stand-ins for content when rendering one message's markup (no tokenizer sees them).
_USER = "\u27e6tcod-pl:user\u27e7"
_ASSISTANT = "\u27e6tcod-pl:assistant\u27e7"
MODES = ("auto", "tokens", "packed", "per_turn")


class ChatPacker:
    """Turns episodes into token samples and builds the policy's prompts.

    ``mode``: ``"tokens"`` accumulates token ids (one sample per episode, O(T) renders; see the
    module docstring); ``"packed"`` re-renders the chat each turn and packs it when the template is
    prefix-stable (checked on a probe chat and on every episode), one sample per turn otherwise;
    ``"per_turn"`` always gives one sample per turn with the template's full prompt. ``"auto"``
    is ``"tokens"`` when the template renders a user message after an assistant one as plain
    markup around it (Qwen/ChatML templates do), else ``"packed"``.
    """

    def __init__(self, tokenizer: PreTrainedTokenizerBase, max_length: int | None = None, mode: str = "auto"):
        if mode not in MODES:
            raise ValueError(f"packing mode must be one of {MODES}, got {mode!r}")
        if tokenizer.chat_template is None:
            raise ValueError(
                "The tokenizer has no chat template; set one (tokenizer.chat_template) to pack episodes."
            )
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.end_of_turn = self._find_end_of_turn()
        self.end_of_turn_id = (
            tokenizer.convert_tokens_to_ids(self.end_of_turn) if self.end_of_turn is not None else None
        )
        self._warned: set[str] = set()
        self._renders: OrderedDict[tuple, list[int]] = OrderedDict()  # message -> its ids (LRU)
        self.template_stable = self._probe_stability()
        self.tokens_ok = self._probe_tokens()
        if mode == "tokens" and not self.tokens_ok:
            raise ValueError(
                "packing mode 'tokens' needs a chat template that renders each user message as markup "
                "around it after an assistant turn; use mode 'packed' or 'per_turn'."
            )
        if mode == "packed" and not self.template_stable:
            raise ValueError("packing mode 'packed' needs a prefix-stable chat template; use mode 'auto'.")
        if mode == "auto":
            mode = "tokens" if self.tokens_ok else "packed"
            if mode == "packed" and not self.template_stable:
                self._warn_once("probe", "chat template is not prefix-stable: packing one sample per turn")
        self.mode = mode

    # ----- public -----------------------------------------------------------------------------
    @property
    def packs(self) -> bool:
        """Episodes become one sample each (under ``"packed"``: where the template allows)."""
        return self.mode == "tokens" or (self.mode == "packed" and self.template_stable)

    def response_ids(self, turn: Turn) -> list[int]:
        if turn.response_ids is not None:
            return list(turn.response_ids)
        ids = self._encode(turn.response)
        return ids + [self.end_of_turn_id] if self.end_of_turn_id is not None else ids

    def prompt_ids(self, episode: Episode, observation: str) -> list[int]:
        """The ids a policy conditions on to answer ``observation`` after ``episode.turns``."""
        pending = replace(episode, turns=[*episode.turns, Turn(observation, "")])
        if self.mode == "tokens":
            return self._build_tokens(pending, stop_before_last_response=True)[0]
        if self.packs:
            built = self._build_packed(pending, stop_before_last_response=True)
            if built is not None:
                return built[0]
        return self._render_ids(pending, len(pending.chat_turns))

    def pack(self, episode: Episode, index: int = 0, with_outcome: bool = False) -> list[PackedSample]:
        """Samples of one episode; ``with_outcome`` attaches success/score/rounds/invalid rate."""
        outcome = (
            {
                "success": float(episode.success),
                "score": float(episode.score),
                "final_score": float(episode.final_score),
                "rounds": float(episode.rounds),
                "invalid_rate": float(episode.invalid_rate),
            }
            if with_outcome
            else {}
        )
        if episode.chat_start and not episode.chat_turns:
            # A B2F replay outside the chat finished the task: no student tokens. Pack the replay
            # (all unsupervised) so that the episode still counts in outcomes and every batch of
            # the step exists on every rank, as with the "history" context.
            episode = replace(episode, chat_start=0)
        if self.mode == "tokens":
            ids, mask, turn, lp = self._build_tokens(episode)
            sample = PackedSample(ids, mask, turn, lp, index, True, outcome, not episode.demonstration)
            return [self._truncate(sample)]
        if self.packs:
            built = self._build_packed(episode)
            if built is not None:
                ids, mask, turn, lp = built
                sample = PackedSample(ids, mask, turn, lp, index, True, outcome, not episode.demonstration)
                return [self._truncate(sample)]
            self._warn_once(
                "episode", "an episode is not prefix-stable under the chat template: one sample per turn"
            )
        return [self._truncate(s) for s in self._build_per_turn(episode, index, outcome)]

    def pack_many(self, episodes: Sequence[Episode], with_outcome: bool = False) -> list[PackedSample]:
        return [s for i, ep in enumerate(episodes) for s in self.pack(ep, i, with_outcome)]

    # ----- layouts ----------------------------------------------------------------------------
    def _build_packed(
        self, episode: Episode, stop_before_last_response: bool = False
    ) -> tuple[list[int], list[bool], list[int], list[float]] | None:
        ids: list[int] = []
        mask: list[bool] = []
        turn_of: list[int] = []
        lps: list[float] = []
        rendered_upto = ""  # text of everything emitted so far
        last_resp_ended_with_eot = False
        n = len(episode.chat_turns)
        for t, turn in enumerate(episode.chat_turns):
            prompt_text = self._render_text(episode, t + 1)
            if not prompt_text.startswith(rendered_upto):
                return None
            delta = prompt_text[len(rendered_upto) :]
            if last_resp_ended_with_eot:
                if not delta.startswith(self.end_of_turn):
                    return None
                delta = delta[len(self.end_of_turn) :]
            delta_ids = self._encode(delta)
            ids += delta_ids
            mask += [False] * len(delta_ids)
            turn_of += [-1] * len(delta_ids)
            lps += [math.nan] * len(delta_ids)
            if stop_before_last_response and t == n - 1:
                break
            resp = self.response_ids(turn)
            ids += resp
            mask += [turn.supervised] * len(resp)
            turn_of += [episode.chat_start + t] * len(resp)  # turn index in the episode
            lps += self._behaviour(turn, len(resp))
            # The template renders the response text; generated ids decode to that text.
            rendered_upto = prompt_text + self._strip_eot(turn.response)
            last_resp_ended_with_eot = bool(resp) and resp[-1] == self.end_of_turn_id
        return ids, mask, turn_of, lps

    def _build_tokens(
        self, episode: Episode, stop_before_last_response: bool = False
    ) -> tuple[list[int], list[bool], list[int], list[float]]:
        """Token-level accumulation: opening render, then per turn its response ids and the next
        user message's markup; each message is rendered once (cached), never the whole chat."""
        ids: list[int] = []
        mask: list[bool] = []
        turn_of: list[int] = []
        lps: list[float] = []
        after_eot = False
        turns = episode.chat_turns
        for t, turn in enumerate(turns):
            if t == 0:
                delta_ids = self._cached(("open", episode.system, turn.observation), self._opening_text)
            else:
                delta_ids = self._cached(("user", turn.observation, after_eot), self._user_text)
            ids += delta_ids
            mask += [False] * len(delta_ids)
            turn_of += [-1] * len(delta_ids)
            lps += [math.nan] * len(delta_ids)
            if stop_before_last_response and t == len(turns) - 1:
                break
            resp = self.response_ids(turn)
            ids += resp
            mask += [turn.supervised] * len(resp)
            turn_of += [episode.chat_start + t] * len(resp)
            lps += self._behaviour(turn, len(resp))
            after_eot = bool(resp) and resp[-1] == self.end_of_turn_id
        return ids, mask, turn_of, lps

    def _cached(self, key: tuple, render: Callable[..., str]) -> list[int]:
        """Encoded render of one message (episodes of a batch share their system and hint texts)."""
        if key in self._renders:
            self._renders.move_to_end(key)
            return self._renders[key]
        ids = self._encode(render(*key[1:]))
        self._renders[key] = ids
        if len(self._renders) > 4096:
            self._renders.popitem(last=False)
        return ids

    def _opening_text(self, system: str | None, observation: str) -> str:
        msgs = [{"role": "system", "content": system}] if system else []
        msgs.append({"role": "user", "content": observation})
        return self.tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)

    def _user_text(self, observation: str, after_eot: bool) -> str:
        """What the template puts after an assistant's content up to the next generation prompt:
        the assistant's end of turn (dropped when the response generated it), the user message
        and the generation prompt."""
        msgs = [
            {"role": "user", "content": _USER},
            {"role": "assistant", "content": _ASSISTANT},
            {"role": "user", "content": observation},
        ]
        text = self.tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        delta = text[text.rindex(_ASSISTANT) + len(_ASSISTANT) :]
        if after_eot and self.end_of_turn and delta.startswith(self.end_of_turn):
            delta = delta[len(self.end_of_turn) :]
        return delta

    def _probe_tokens(self) -> bool:
        """Token-level prompts equal the template's own renders on a chat without reasoning (the
        only thing a reasoning template drops), for generated and text-only responses."""
        try:
            eot = [self.end_of_turn_id] if self.end_of_turn_id is not None else []
            if not eot or self._user_text("x", True) == self._user_text("x", False):
                return False
            probe = Episode(
                task={},
                system="You are an agent.",
                turns=[
                    Turn("You are in a room.", "<action>look around</action>"),
                    Turn("You see a key.", "<action>take key</action>", supervised=False),
                    Turn("You took the key.", "<action>open door</action>"),
                ],
            )
            probe.turns[0].response_ids = self._encode(probe.turns[0].response) + eot
            saved, self._renders = self._renders, OrderedDict()
            try:
                for t in range(1, len(probe.turns) + 1):
                    pending = replace(probe, turns=probe.turns[:t])
                    if self._build_tokens(pending, stop_before_last_response=True)[0] != self._render_ids(
                        probe, t
                    ):
                        return False
            finally:
                self._renders = saved
            return True
        except Exception:  # a template that cannot render these chats: the other layouts decide
            return False

    def _build_per_turn(self, episode: Episode, index: int, outcome: dict[str, float]) -> list[PackedSample]:
        samples = []
        for t, turn in enumerate(episode.chat_turns):
            if not turn.supervised:
                continue
            prompt = self._render_ids(episode, t + 1)
            resp = self.response_ids(turn)
            samples.append(
                PackedSample(
                    prompt + resp,
                    [False] * len(prompt) + [True] * len(resp),
                    [-1] * len(prompt) + [episode.chat_start + t] * len(resp),
                    [math.nan] * len(prompt) + self._behaviour(turn, len(resp)),
                    index,
                    not samples,
                    outcome,
                    not episode.demonstration,
                )
            )
        return samples

    # ----- helpers ----------------------------------------------------------------------------
    def _render_text(self, episode: Episode, upto: int) -> str:
        msgs = episode.messages(upto, with_last_response=False)
        return self.tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)

    def _render_ids(self, episode: Episode, upto: int) -> list[int]:
        return self._encode(self._render_text(episode, upto))

    def _encode(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def _strip_eot(self, text: str) -> str:
        if self.end_of_turn and text.endswith(self.end_of_turn):
            return text[: -len(self.end_of_turn)]
        return text

    @staticmethod
    def _behaviour(turn: Turn, n: int) -> list[float]:
        if turn.logprobs is not None and len(turn.logprobs) == n:
            return [float(x) for x in turn.logprobs]
        return [math.nan] * n

    def _truncate(self, sample: PackedSample) -> PackedSample:
        if self.max_length is None or len(sample) <= self.max_length:
            return sample
        self._warn_once(
            "truncate", f"a sample of {len(sample)} tokens was cut to max_length={self.max_length}"
        )
        m = self.max_length
        return replace(
            sample,
            input_ids=sample.input_ids[:m],
            loss_mask=sample.loss_mask[:m],
            turn_index=sample.turn_index[:m],
            behaviour_logprobs=sample.behaviour_logprobs[:m],
        )

    def _find_end_of_turn(self) -> str | None:
        msgs = [{"role": "user", "content": "u"}, {"role": "assistant", "content": "RESPONSE"}]
        text = self.tokenizer.apply_chat_template(msgs, tokenize=False)
        tail = text.split("RESPONSE", 1)[-1]
        for tok in [self.tokenizer.eos_token, *getattr(self.tokenizer, "all_special_tokens", [])]:
            if tok and tail.startswith(tok):
                return tok
        return None

    def _probe_stability(self) -> bool:
        probe = Episode(
            task={},
            system="You are an agent.",
            turns=[
                Turn(
                    "You are in a room. Task: find the key.",
                    "<think>look first</think><action>look around</action>",
                ),
                Turn("You see a key and a door.", "<action>take key</action>"),
                Turn("You took the key.", "<action>open door</action>"),
            ],
        )
        built = self._build_packed(probe)
        if built is None:
            return False
        ids = built[0]
        # Token-level check: every turn's rendered prompt tokenises to a prefix of the packed ids.
        for t in range(1, len(probe.turns) + 1):
            prompt = self._render_ids(probe, t)
            if ids[: len(prompt)] != prompt:
                return False
        return True

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(message)


def collate(samples: Sequence[PackedSample], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad samples into a batch; outcome fields (if any) become per-sample tensors."""
    length = max(len(s) for s in samples)
    b = len(samples)
    input_ids = torch.full((b, length), pad_id, dtype=torch.long)
    attention = torch.zeros((b, length), dtype=torch.long)
    loss_mask = torch.zeros((b, length), dtype=torch.bool)
    turn_index = torch.full((b, length), -1, dtype=torch.long)
    behaviour = torch.full((b, length), math.nan, dtype=torch.float32)
    for i, s in enumerate(samples):
        n = len(s)
        input_ids[i, :n] = torch.tensor(s.input_ids, dtype=torch.long)
        attention[i, :n] = 1
        loss_mask[i, :n] = torch.tensor(s.loss_mask, dtype=torch.bool)
        turn_index[i, :n] = torch.tensor(s.turn_index, dtype=torch.long)
        behaviour[i, :n] = torch.tensor(s.behaviour_logprobs, dtype=torch.float32)
    batch = {
        "input_ids": input_ids,
        "attention_mask": attention,
        "loss_mask": loss_mask,
        "turn_index": turn_index,
        "behaviour_logprobs": behaviour,
        "episode_index": torch.tensor([s.episode for s in samples], dtype=torch.long),
        "episode_first": torch.tensor([s.first for s in samples], dtype=torch.bool),
        "on_policy": torch.tensor([s.on_policy for s in samples], dtype=torch.bool),
    }
    keys = set.intersection(*(set(s.outcome) for s in samples)) if samples else set()
    for key in sorted(keys):
        batch[f"outcome_{key}"] = torch.tensor([s.outcome[key] for s in samples], dtype=torch.float32)
    return batch
