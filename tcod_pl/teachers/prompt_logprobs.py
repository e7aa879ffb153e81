"""vLLM's ``prompt_logprobs`` of whole packed episodes, turned into :class:`TeacherScores`.

One request per packed episode (O(T) tokens, as the in-process forward). vLLM returns, for every
position p > 0 of the prompt, log p(token_p | tokens before p) and, with ``prompt_logprobs=k``,
the k most likely tokens there with their ranks; both teachers that run vLLM (in-process and
served) read that answer here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from tcod_pl.errors import ConfigError
from tcod_pl.teachers.scores import TeacherScores


@dataclass
class Position:
    """One prompt position: the log-prob of the prompt's own token there, and the top tokens."""

    own: float
    top: list[tuple[int, float]]  # (token id, log-prob), most likely first


def normalise(raw: Sequence[Any], prompt: Sequence[int], top_k: int) -> list[Position | None]:
    """One episode's ``prompt_logprobs`` (vLLM objects in-process, JSON from a server) in one shape."""
    out: list[Position | None] = []
    for p, position in enumerate(raw):
        if position is None:  # the first token has no context
            out.append(None)
            continue
        ranked: list[tuple[int, int, float]] = []
        own = None
        for token, value in position.items():
            if isinstance(value, Mapping):
                lp, rank = float(value["logprob"]), int(value.get("rank") or 0)
            else:  # vllm.logprobs.Logprob
                lp, rank = float(value.logprob), int(value.rank or 0)
            if int(token) == prompt[p]:
                own = lp
            if rank <= top_k:
                ranked.append((rank, int(token), lp))
        if own is None:
            raise ConfigError(
                f"the teacher's answer for position {p} does not hold the prompt's token {prompt[p]}: "
                "is it serving the student's tokenizer?"
            )
        if len(ranked) < top_k:
            raise ConfigError(
                f"the teacher returned {len(ranked)} top tokens where top_k = {top_k} were asked: "
                "start vLLM with --max-logprobs >= top_k"
            )
        out.append(Position(own, [(tok, lp) for _, tok, lp in sorted(ranked)[:top_k]]))
    return out


def scores_at(
    answers: Sequence[Sequence[Position | None]], select: torch.Tensor, top_k: int
) -> TeacherScores:
    """Scores of the selected positions, in ``batch[select]`` order. ``answers[b][p]`` is row b's
    entry for token p; ``select[b, i]`` marks position i, which predicts token i + 1."""
    chosen = [answers[b][i + 1] for b, i in select.nonzero().tolist()]
    if any(c is None for c in chosen):
        raise ConfigError("the teacher returned no log-probs for a supervised token")
    scores = TeacherScores(logprobs=torch.tensor([c.own for c in chosen], dtype=torch.float32))
    if top_k:
        scores.topk_ids = torch.tensor([[t for t, _ in c.top] for c in chosen], dtype=torch.long)
        scores.topk_logprobs = torch.tensor([[lp for _, lp in c.top] for c in chosen], dtype=torch.float32)
        scores.topk_ids = scores.topk_ids.reshape(-1, top_k)
        scores.topk_logprobs = scores.topk_logprobs.reshape(-1, top_k)
    return scores


def temperature_error(kind: str, temperature: float) -> ConfigError:
    return ConfigError(
        f"model.init_args.teacher_temperature {temperature} cannot be applied to a {kind}: vLLM's "
        "prompt_logprobs are of the untempered distribution, and a token's tempered log-prob needs the "
        "teacher's whole distribution. Use teacher_temperature 1.0, or an in-process teacher "
        "(model.init_args.teacher: <model path or id>, an HFTeacher), which applies any temperature exactly"
    )
