#!/usr/bin/env python
"""What the teacher says of the student's actions, by verb: its first word against the rest.

Reads saved episodes (``--data.init_args.episodes_dir`` of a run: training rollouts or panels),
teacher-forces them and reports, per task family and action verb, how many turns there are, how
many the environment rejected, the median log-prob of the whole response under the teacher and
under the student that sampled it (the recorded behaviour log-probs), and the same split at the
verb: the tokens up to and including the action's first word, and everything after. A verb the
teacher endorses (log-prob near 0) followed by a rest it rejects is what the per-token reverse KL
rewards and then punishes piece by piece (docs/experiments.md, "Why success stops rising").

    .venv/bin/python scripts/teacher_on_actions.py 'runs/eps/train-step002*.jsonl' 'runs/eps/train-step003*.jsonl'

``--repeats`` splits each verb into its first use in an episode and the later ones: a teacher that
continues the pattern of the history it is shown endorses a repeated mistake it would not start.
"""

from __future__ import annotations

import argparse
import glob
import statistics
from collections import defaultdict
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedTokenizerBase

from tcod_pl.data.episode import Episode, load_episodes
from tcod_pl.data.packing import ChatPacker

TEACHER = Path("tcod_pl/assets/scienceworld/teacher")
PARTS = ("turn", "verb", "rest")
# (task family, verb) -> part -> [(teacher log-prob, student log-prob)], one pair per turn
Scores = dict[tuple[str, str], dict[str, list[tuple[float, float]]]]


def verb_end(pieces: list[str], verb: str) -> int:
    """Number of response tokens up to and including the one that completes the action's first word."""
    text = ""
    for i, piece in enumerate(pieces):
        text += piece
        if verb and verb in text.replace("<action>", " ").split():
            return i + 1
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("episodes", nargs="+", help="episode JSONL files or glob patterns")
    parser.add_argument("--teacher", type=Path, default=TEACHER)
    parser.add_argument("--min-turns", type=int, default=10, help="rarer verbs are pooled as (other)")
    parser.add_argument(
        "--repeats", action="store_true", help="split each verb: its first use in an episode, and later ones"
    )
    args = parser.parse_args()
    files = sorted({f for pattern in args.episodes for f in glob.glob(pattern)})
    if not files:
        parser.error(f"no file matches {args.episodes}; pass a run's episodes_dir files")
    tokenizer = AutoTokenizer.from_pretrained(args.teacher)
    teacher = AutoModelForCausalLM.from_pretrained(args.teacher).eval()
    packer = ChatPacker(tokenizer)
    found: Scores = defaultdict(lambda: defaultdict(list))
    rejected: dict[tuple[str, str], int] = defaultdict(int)
    for path in files:
        for episode in load_episodes(path):
            score_episode(episode, teacher, tokenizer, packer, found, rejected, args.repeats)
    found, rejected = pool_rare(found, rejected, args.min_turns)
    print(f"{len(files)} files; teacher {args.teacher}; medians of log-probs summed over a part's tokens")
    print(
        f"  {'family':<10} {'verb':<14} {'turns':>6} {'invalid':>8}"
        + "".join(f" {p + ' T / S':>15}" for p in PARTS)
    )
    for (family, verb), parts in sorted(found.items(), key=lambda kv: -len(kv[1]["turn"])):
        n = len(parts["turn"])
        cells = ""
        for part in PARTS:
            pairs = parts[part]
            teacher_lp = statistics.median(t for t, _ in pairs) if pairs else float("nan")
            student_lp = statistics.median(s for _, s in pairs) if pairs else float("nan")
            cells += f" {teacher_lp:7.2f} /{student_lp:6.2f}"
        print(f"  {family:<10} {verb:<14} {n:>6} {rejected[family, verb] / n:>8.1%}{cells}")


def pool_rare(
    found: Scores, rejected: dict[tuple[str, str], int], min_turns: int
) -> tuple[Scores, dict[tuple[str, str], int]]:
    """Verbs with fewer than ``min_turns`` turns (T = 1.0 rollouts write many one-off words) as (other)."""
    pooled: Scores = defaultdict(lambda: defaultdict(list))
    pooled_rejected: dict[tuple[str, str], int] = defaultdict(int)
    for (family, verb), parts in found.items():
        key = (family, verb if len(parts["turn"]) >= min_turns else "(other)")
        for part, pairs in parts.items():
            pooled[key][part] += pairs
        pooled_rejected[key] += rejected[family, verb]
    return pooled, pooled_rejected


@torch.no_grad()
def score_episode(
    episode: Episode,
    teacher: torch.nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    packer: ChatPacker,
    found: Scores,
    rejected: dict[tuple[str, str], int],
    repeats: bool = False,
) -> None:
    family = str(episode.task.get("name", "?")).split("-")[0]
    used: set[str] = set()  # verbs already in the episode (samples come in turn order)
    for sample in packer.pack(episode):
        ids = torch.tensor([sample.input_ids])
        log_probs = teacher(input_ids=ids).logits[0, :-1].log_softmax(-1)
        # position i predicts token i + 1
        teacher_lp = log_probs.gather(-1, ids[0, 1:, None])[:, 0].tolist()
        positions: dict[int, list[int]] = defaultdict(list)
        for i, (turn, supervised) in enumerate(zip(sample.turn_index[1:], sample.loss_mask[1:], strict=True)):
            if supervised:
                positions[turn].append(i)
        for t, at in sorted(positions.items()):
            turn = episode.chat_turns[t]
            if not turn.logprobs or len(turn.logprobs) != len(at):
                continue  # a demonstration or a text-only turn: no sampled log-probs to compare
            verb = (turn.action.split() or ["(none)"])[0]
            cut = verb_end([tokenizer.decode([sample.input_ids[i + 1]]) for i in at], verb)
            key = (family, f"{verb} ({'again' if verb in used else 'first'})" if repeats else verb)
            used.add(verb)
            rejected[key] += not turn.valid
            t_lp = [teacher_lp[i] for i in at]
            for part, sl in (("turn", slice(None)), ("verb", slice(0, cut)), ("rest", slice(cut, None))):
                found[key][part].append((sum(t_lp[sl]), sum(turn.logprobs[sl])))


if __name__ == "__main__":
    main()
