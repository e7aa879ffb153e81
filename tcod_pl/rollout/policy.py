"""The policy interface rollouts use, and its Hugging Face backend (the current student)."""

from __future__ import annotations

import abc
import contextlib
import copy
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import nn
from transformers import GenerationConfig, PreTrainedTokenizerBase


@dataclass
class Generation:
    text: str
    token_ids: list[int]
    # log pi(token | prefix) of each sampled token under the model's own (temperature 1)
    # distribution: the same quantity the trainer recomputes, so the two can be compared.
    logprobs: list[float]


def derive_seed(*parts: object) -> int:
    """A 31-bit seed that is a fixed function of ``parts`` (independent of Python's hash seed)."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & 0x7FFFFFFF


class Policy(abc.ABC):
    """Generates one response per prompt (token ids) in a batch (HFPolicy; VLLMPolicy in vllm_policy.py)."""

    # Whether generation runs the bound module's forward (then a sharded student is gathered for
    # the whole rollout); an engine with its own copy of the weights reads them at bind only.
    runs_the_module: bool = True

    def bind(  # noqa: B027
        self, model: nn.Module, tokenizer: PreTrainedTokenizerBase, version: int | None = None
    ) -> None:
        """Called before each rollout with the current student; ``version`` is the trainer's
        optimizer-step count (an engine-backed policy re-syncs when it changes)."""

    def reseed(self, seed: int) -> None:  # noqa: B027
        """Base seed for the next rollout's sampling (the datamodule derives it from seed, step, rank)."""

    def stats(self) -> dict[str, float]:
        """Figures about the last rollout worth logging (e.g. weight-sync seconds); none by default."""
        return {}

    def unbound_copy(self) -> Policy:
        """A policy with these settings and no model, e.g. to play another model (the teacher)."""
        other = copy.copy(self)
        other.__dict__.update(model=None, tokenizer=None)
        return other

    def close(self) -> None:  # noqa: B027
        """Free what the policy holds beyond its settings (an engine); it may be bound again."""

    @abc.abstractmethod
    def generate(
        self, prompts: Sequence[list[int]], temperature: float, top_p: float = 1.0
    ) -> list[Generation]: ...


class HFPolicy(Policy):
    """Batched ``model.generate`` with left padding; stops when the model ends its turn.

    The end-of-turn token (the tokenizer's ``eos_token``, e.g. ``<|im_end|>``) is sampled by the
    student and kept in ``token_ids``, so it is supervised like any other response token, as in
    the reference (vLLM sampling to end of turn). ``stop_strings`` (e.g. ``["</action>"]``) cut a
    response earlier: shorter turns, but the end-of-turn token then comes from the chat template
    as context and is never trained. Generation runs in eval mode without grad; the model's
    training mode is restored after.
    """

    def __init__(
        self, max_new_tokens: int = 64, stop_strings: list[str] | None = None, micro_batch: int = 64
    ):
        self.max_new_tokens = max_new_tokens
        self.stop_strings = list(stop_strings or [])
        self.micro_batch = micro_batch
        self.model: nn.Module | None = None
        self.tokenizer: PreTrainedTokenizerBase | None = None

    def bind(self, model: nn.Module, tokenizer: PreTrainedTokenizerBase, version: int | None = None) -> None:
        self.model, self.tokenizer = model, tokenizer

    def generate(
        self, prompts: Sequence[list[int]], temperature: float, top_p: float = 1.0
    ) -> list[Generation]:
        if self.model is None or self.tokenizer is None:
            raise RuntimeError("HFPolicy.generate called before bind(model, tokenizer)")
        was_training = self.model.training
        self.model.eval()
        try:
            out: list[Generation] = []
            for start in range(0, len(prompts), self.micro_batch):
                out += self._generate(prompts[start : start + self.micro_batch], temperature, top_p)
            return out
        finally:
            self.model.train(was_training)

    @torch.no_grad()
    def _generate(self, prompts: Sequence[list[int]], temperature: float, top_p: float) -> list[Generation]:
        tok = self.tokenizer
        device = next(self.model.parameters()).device
        length = max(len(p) for p in prompts)
        ids = torch.full((len(prompts), length), tok.pad_token_id, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for i, p in enumerate(prompts):
            ids[i, length - len(p) :] = torch.tensor(p)
            mask[i, length - len(p) :] = 1
        recorder = _SampledLogprobs()
        hook = self.model.register_forward_hook(recorder, with_kwargs=True)
        try:
            with _no_model_defaults(self.model):
                out = self.model.generate(
                    input_ids=ids.to(device),
                    attention_mask=mask.to(device),
                    generation_config=self.generation_config(temperature, top_p),
                    tokenizer=tok,
                    # Not in step with other ranks: a sharded student is gathered for the whole
                    # rollout (tcod_pl.models.sharding.gathered), so a forward needs no collective,
                    # and ranks generate different numbers of tokens.
                    synced_gpus=False,
                )
        finally:
            hook.remove()
        new = out.sequences[:, length:].cpu()
        logp = recorder.finish(out.sequences[:, -1:]).cpu()  # [B, new tokens]
        results = []
        for i in range(len(prompts)):
            tokens = self._cut(new[i].tolist())
            lps = logp[i, : len(tokens)].tolist()
            results.append(Generation(tok.decode(tokens, skip_special_tokens=True), tokens, lps))
        return results

    def generation_config(self, temperature: float, top_p: float) -> GenerationConfig:
        """Every setting that shapes the sampled distribution, stated: plain sampling from
        softmax(logits / temperature) with nucleus ``top_p`` (or greedy at temperature 0), no top-k,
        no penalties, no n-gram blocking, no suppressed or forced tokens."""
        tok = self.tokenizer
        sampling = temperature > 0
        return GenerationConfig(
            do_sample=sampling,
            temperature=temperature if sampling else 1.0,
            top_p=top_p if sampling else 1.0,
            top_k=0 if sampling else None,  # 0 = off (greedy ignores it; None avoids a warning)
            min_p=None,
            typical_p=1.0,
            epsilon_cutoff=0.0,
            eta_cutoff=0.0,
            repetition_penalty=1.0,
            encoder_repetition_penalty=1.0,
            no_repeat_ngram_size=0,
            encoder_no_repeat_ngram_size=0,
            min_new_tokens=0,
            num_beams=1,
            num_return_sequences=1,
            renormalize_logits=False,
            max_new_tokens=self.max_new_tokens,
            stop_strings=self.stop_strings or None,
            pad_token_id=tok.pad_token_id,
            eos_token_id=tok.eos_token_id,
            bos_token_id=None,
            return_dict_in_generate=True,
        )

    def _cut(self, tokens: list[int]) -> list[int]:
        """Keep tokens up to and including whichever comes first: end of turn or a stop string.

        One scan in order: after a stop-string stop the row is padded, and where ``pad == eos``
        (many tokenizers) that padding must not be read as a sampled end of turn.
        """
        eos, pad = self.tokenizer.eos_token_id, self.tokenizer.pad_token_id
        text = ""
        for j, t in enumerate(tokens):
            if t == eos:
                return tokens[: j + 1]
            if self.stop_strings:
                text += self.tokenizer.decode([t])
                if any(s in text for s in self.stop_strings):
                    return tokens[: j + 1]
        while tokens and tokens[-1] == pad:
            tokens = tokens[:-1]
        return tokens


class _SampledLogprobs:
    """A forward hook for ``generate``: the untempered log-prob of each sampled token, one [B, V]
    row alive at a time (``output_logits`` would hold all new tokens' rows: B x T x V floats).

    Each decoding forward receives the token sampled from the previous forward's last logits, so
    that row is read when the next forward starts; the last token is read in ``finish``.
    """

    def __init__(self) -> None:
        self.rows: list[torch.Tensor] = []
        self.pending: torch.Tensor | None = None  # log-softmax of the last forward's last position

    def __call__(self, module: nn.Module, args: tuple, kwargs: dict, output: object) -> None:
        if self.pending is not None:
            ids = kwargs["input_ids"] if "input_ids" in kwargs else args[0]
            self.rows.append(self.pending.gather(-1, ids[:, -1:]))
        self.pending = output.logits[:, -1].float().log_softmax(-1)

    def finish(self, last: torch.Tensor) -> torch.Tensor:
        if self.pending is not None:
            self.rows.append(self.pending.gather(-1, last))
            self.pending = None
        return torch.cat(self.rows, dim=1)


@contextlib.contextmanager
def _no_model_defaults(model: nn.Module) -> Iterator[None]:
    """Hide the checkpoint's ``generation_config.json`` while generating.

    ``generate`` fills every setting the passed config leaves unset from the model's own
    generation config (e.g. a Qwen checkpoint's ``repetition_penalty``/``top_k``), which would
    silently change the sampled distribution that the recorded log-probs assume.
    """
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    saved = base.generation_config
    base.generation_config = GenerationConfig()
    try:
        yield
    finally:
        base.generation_config = saved
