"""The policy interface rollouts use, and its Hugging Face backend (the current student)."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn
from transformers import PreTrainedTokenizerBase


@dataclass
class Generation:
    text: str
    token_ids: list[int]
    # log pi(token | prefix) of each sampled token under the model's own (temperature 1)
    # distribution: the same quantity the trainer recomputes, so the two can be compared.
    logprobs: list[float]


class Policy(abc.ABC):
    """Generates one response per prompt (token ids) in a batch. A vLLM backend plugs in here."""

    def bind(self, model: nn.Module, tokenizer: PreTrainedTokenizerBase) -> None:  # noqa: B027
        """Called before each rollout with the current student."""

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

    def bind(self, model: nn.Module, tokenizer: PreTrainedTokenizerBase) -> None:
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
        sampling = temperature > 0
        kwargs = {"temperature": temperature, "top_p": top_p, "top_k": 0} if sampling else {}
        out = self.model.generate(
            input_ids=ids.to(device),
            attention_mask=mask.to(device),
            do_sample=sampling,
            max_new_tokens=self.max_new_tokens,
            stop_strings=self.stop_strings or None,
            tokenizer=tok,
            pad_token_id=tok.pad_token_id,
            eos_token_id=tok.eos_token_id,
            return_dict_in_generate=True,
            output_logits=True,
            **kwargs,
        )
        new = out.sequences[:, length:].cpu()
        logp = torch.stack(out.logits, dim=1).float().log_softmax(-1).cpu()
        results = []
        for i in range(len(prompts)):
            tokens = self._cut(new[i].tolist())
            lps = logp[i, torch.arange(len(tokens)), torch.tensor(tokens, dtype=torch.long)].tolist()
            results.append(Generation(tok.decode(tokens, skip_special_tokens=True), tokens, lps))
        return results

    def _cut(self, tokens: list[int]) -> list[int]:
        """Keep tokens up to and including end of turn or the end of a stop string."""
        eos, pad = self.tokenizer.eos_token_id, self.tokenizer.pad_token_id
        for j, t in enumerate(tokens):
            if t == eos:
                return tokens[: j + 1]
        if self.stop_strings:
            text = ""
            for j, t in enumerate(tokens):
                text += self.tokenizer.decode([t])
                if any(s in text for s in self.stop_strings):
                    return tokens[: j + 1]
        while tokens and tokens[-1] == pad:
            tokens = tokens[:-1]
        return tokens
