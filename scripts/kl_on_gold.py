#!/usr/bin/env python
"""Students against the teacher on gold episodes (teacher-forced): where does distillation move them?

The demo's panel KL is measured on each student's *own* episodes, so it can fall while the student
drifts away from the teacher on the states a successful agent visits. This reads gold episodes
(default: the 64 dev ones the demo ships) and reports, per model, the forward KL(teacher || student)
per response token, the probability of the gold token and how often it is the student's top
choice, split into object-name tokens (a name the episode's "Objects:" lines list) and the rest.

    .venv/bin/python scripts/kl_on_gold.py tcod_pl/assets/scienceworld/student path/to/distilled
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from tcod_pl.data.episode import Episode, load_episodes
from tcod_pl.data.episode_stats import listed_objects
from tcod_pl.data.packing import ChatPacker

TEACHER = Path("tcod_pl/assets/scienceworld/teacher")
GOLD = Path("tcod_pl/assets/scienceworld/gold_dev.jsonl")  # 64 dev gold episodes, all six tasks


def listed_names(episode: Episode) -> set[str]:
    return {name for turn in episode.turns for name in listed_objects(turn.observation)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("students", nargs="+", type=Path, help="model directories (save_pretrained)")
    parser.add_argument("--teacher", type=Path, default=TEACHER)
    parser.add_argument("--gold", type=Path, default=GOLD, help="episodes JSONL (%(default)s)")
    parser.add_argument("--episodes", type=int, default=64)
    args = parser.parse_args()
    tokenizer = AutoTokenizer.from_pretrained(args.teacher)
    packer = ChatPacker(tokenizer)
    load = lambda path: AutoModelForCausalLM.from_pretrained(path).eval()  # noqa: E731
    teacher = load(args.teacher)
    students = {str(path): load(path) for path in args.students}
    # per model and kind: [tokens, sum KL, sum p(gold), top-1 hits]
    sums = {name: {kind: [0, 0.0, 0.0, 0] for kind in ("name", "other")} for name in ["teacher", *students]}
    for episode in load_episodes(args.gold)[: args.episodes]:
        names = listed_names(episode)
        for sample in packer.pack(episode):  # one sample per episode when packed, else one per turn
            ids = torch.tensor([sample.input_ids])
            with torch.no_grad():
                log_t = teacher(input_ids=ids).logits[0].log_softmax(-1)
                log_s = {
                    name: model(input_ids=ids).logits[0].log_softmax(-1) for name, model in students.items()
                }
            for i in range(1, len(sample.input_ids)):
                if not sample.loss_mask[i]:
                    continue
                token = sample.input_ids[i]
                kind = "name" if tokenizer.decode([token]).strip() in names else "other"
                for name, logp in [("teacher", log_t), *log_s.items()]:
                    kl = float((log_t[i - 1].exp() * (log_t[i - 1] - logp[i - 1])).sum())
                    row = sums[name][kind]
                    row[0] += 1
                    row[1] += kl
                    row[2] += float(logp[i - 1, token].exp())
                    row[3] += int(logp[i - 1].argmax() == token)
    print(f"{args.gold}: first {args.episodes} episodes, teacher-forced; KL = KL(teacher || model) per token")
    counts = sums["teacher"]
    print(f"{counts['name'][0]} name tokens, {counts['other'][0]} other response tokens")
    print(f"{'model':<48} {'KL name':>8} {'KL other':>9} {'p(gold) name':>13} {'top-1 name':>11}")
    for name, kinds in sums.items():
        n, o = kinds["name"], kinds["other"]
        cells = (n[1] / n[0], o[1] / o[0], n[2] / n[0], n[3] / n[0])
        print(f"{name[-48:]:<48} {cells[0]:>8.3f} {cells[1]:>9.3f} {cells[2]:>13.3f} {cells[3]:>11.3f}")


if __name__ == "__main__":
    main()
