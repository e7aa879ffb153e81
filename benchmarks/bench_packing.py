"""Packed episodes vs one sample per turn (the reference layout), one training step, side by side.

Same 30-turn ScienceWorld-shaped episodes, same tiny student and teacher: tokens processed and
wall time of student forward+backward plus teacher forward.

``--template qwen3-strip``: under a Qwen3-style template that drops earlier turns' <think> blocks
(not prefix-stable), token-level accumulation (one sample per episode) vs the per-turn layout.

    python benchmarks/bench_packing.py [--episodes 4] [--turns 30] [--repeats 3] [--template qwen3-strip]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time

import torch

from tcod_pl.data.packing import ChatPacker, collate
from tcod_pl.modules.distill import DistillationModule
from tcod_pl.testing import QWEN3_STYLE_TEMPLATE, make_tiny_models, synthetic_episode


def step_time(module: DistillationModule, batches: list[dict[str, torch.Tensor]], repeats: int) -> float:
    opt = module.configure_optimizers()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for batch in batches:
            loss = module.score(batch).loss
            loss.backward()
        opt.step()
        opt.zero_grad()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=4)
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--obs-words", type=int, default=60, help="ScienceWorld observations: ~40-120 words")
    parser.add_argument("--micro-batch", type=int, default=8, help="per-turn samples per forward")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--size", default="micro")
    parser.add_argument("--template", choices=["project", "qwen3-strip"], default="project")
    args = parser.parse_args()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_tiny_models(tmp, {"teacher": args.size, "student": args.size})
        module = DistillationModule(str(paths["student"]), str(paths["teacher"]))
        if args.template == "qwen3-strip":
            module.tokenizer.chat_template = QWEN3_STYLE_TEMPLATE
        rng = random.Random(0)
        episodes = [
            synthetic_episode(rng, args.turns, obs_words=args.obs_words, think=True)
            for _ in range(args.episodes)
        ]
        pad = module.tokenizer.pad_token_id
        packer = ChatPacker(module.tokenizer, mode="packed" if args.template == "project" else "tokens")
        if args.template == "qwen3-strip":
            eot = [module.tokenizer.eos_token_id]
            for episode in episodes:  # as a policy returns them: generated ids, end of turn last
                for turn in episode.turns:
                    turn.response_ids = (
                        module.tokenizer(turn.response, add_special_tokens=False)["input_ids"] + eot
                    )
        packed = packer.pack_many(episodes)
        per_turn = ChatPacker(module.tokenizer, mode="per_turn").pack_many(episodes)
        packed_batches = [collate(packed, pad)]
        mb = args.micro_batch
        turn_batches = [collate(per_turn[i : i + mb], pad) for i in range(0, len(per_turn), mb)]
        tok_packed = sum(len(s) for s in packed)
        tok_turns = sum(len(s) for s in per_turn)
        sup_packed = sum(sum(s.loss_mask) for s in packed)
        sup_turns = sum(sum(s.loss_mask) for s in per_turn)
        assert sup_packed == sup_turns, "both layouts supervise the same response tokens"
        t_packed = step_time(module, packed_batches, args.repeats)
        t_turns = step_time(module, turn_batches, args.repeats)
    print(
        f"{args.episodes} episodes x {args.turns} turns, {sup_packed} supervised tokens, model '{args.size}', "
        f"template {args.template} (packing {packer.mode})"
    )
    print(f"{'layout':<22}{'samples':>9}{'tokens':>10}{'step s':>10}")
    print(f"{'packed (1/episode)':<22}{len(packed):>9}{tok_packed:>10}{t_packed:>10.2f}")
    print(f"{'per turn (reference)':<22}{len(per_turn):>9}{tok_turns:>10}{t_turns:>10.2f}")
    print(f"tokens ratio: {tok_turns / tok_packed:.1f}x fewer when packed (target >= 10x)")
    print(f"time ratio:   {t_turns / t_packed:.1f}x faster when packed (target >= 5x)")


if __name__ == "__main__":
    main()
