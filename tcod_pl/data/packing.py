"""Episodes -> token sequences through the tokenizer's chat template.

An episode whose chat template is prefix-stable becomes ONE sequence (each turn's prompt is a
prefix of the next one), scored by one forward pass; otherwise each turn becomes its own sample
carrying its full prompt (the reference implementation's layout). The policy asks the same
object for its generation prompts, so the tokens it was conditioned on are exactly the tokens
that are later scored.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
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


class ChatPacker:
    """Turns episodes into token samples and builds the policy's prompts.

    ``mode``: ``"auto"`` packs when the template is prefix-stable (checked on a probe chat and on
    every episode) and falls back to one sample per turn otherwise; ``"packed"`` / ``"per_turn"``
    force a layout (``"packed"`` raises if the template is not prefix-stable).
    """

    def __init__(self, tokenizer: PreTrainedTokenizerBase, max_length: int | None = None, mode: str = "auto"):
        if mode not in ("auto", "packed", "per_turn"):
            raise ValueError(f"packing mode must be 'auto', 'packed' or 'per_turn', got {mode!r}")
        if tokenizer.chat_template is None:
            raise ValueError(
                "The tokenizer has no chat template; set one (tokenizer.chat_template) to pack episodes."
            )
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.mode = mode
        self.end_of_turn = self._find_end_of_turn()
        self.end_of_turn_id = (
            tokenizer.convert_tokens_to_ids(self.end_of_turn) if self.end_of_turn is not None else None
        )
        self._warned: set[str] = set()
        self.template_stable = self._probe_stability()
        if mode == "packed" and not self.template_stable:
            raise ValueError("packing mode 'packed' needs a prefix-stable chat template; use mode 'auto'.")
        if not self.template_stable and mode == "auto":
            self._warn_once("probe", "chat template is not prefix-stable: packing one sample per turn")

    # ----- public -----------------------------------------------------------------------------
    @property
    def packs(self) -> bool:
        return self.mode == "packed" or (self.mode == "auto" and self.template_stable)

    def response_ids(self, turn: Turn) -> list[int]:
        if turn.response_ids is not None:
            return list(turn.response_ids)
        ids = self._encode(turn.response)
        return ids + [self.end_of_turn_id] if self.end_of_turn_id is not None else ids

    def prompt_ids(self, episode: Episode, observation: str) -> list[int]:
        """The ids a policy conditions on to answer ``observation`` after ``episode.turns``."""
        pending = replace(episode, turns=[*episode.turns, Turn(observation, "")])
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
