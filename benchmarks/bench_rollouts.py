"""Rollout throughput: batched generation across an EnvPool vs one episode at a time, one run.

Same tiny student, same ScienceWorld tasks and turn cap. Prints student tokens/s and
episodes/minute for both and their ratio (target >= 3x with 8 parallel episodes).

    python benchmarks/bench_rollouts.py [--parallel 8] [--episodes 16] [--max-turns 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from tcod_pl.curriculum.rules import Full
from tcod_pl.data.packing import ChatPacker
from tcod_pl.envs import EnvPool, ScienceWorldConfig
from tcod_pl.rollout.policy import HFPolicy
from tcod_pl.rollout.prompting import AgentPrompt
from tcod_pl.rollout.runner import RolloutRunner
from tcod_pl.testing import make_tiny_models


def measure(
    pool: EnvPool, policy: HFPolicy, packer: ChatPacker, tasks, max_turns: int
) -> tuple[float, int, int]:
    runner = RolloutRunner(pool, policy, packer, AgentPrompt(hints="none"))
    torch.manual_seed(0)
    start = time.perf_counter()
    episodes = runner.run(tasks, Full(max_turns=max_turns), temperature=1.0)
    elapsed = time.perf_counter() - start
    tokens = sum(len(t.response_ids or []) for e in episodes for t in e.turns)
    return elapsed, tokens, len(episodes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--episodes", type=int, default=16)
    parser.add_argument("--max-turns", type=int, default=5)
    parser.add_argument("--max-new-tokens", type=int, default=24)
    parser.add_argument("--size", default="tiny")
    args = parser.parse_args()
    config = ScienceWorldConfig(task_names=["find-living-thing", "find-non-living-thing"], jvm_heap="384m")
    tasks = config.tasks("dev")[: args.episodes]
    with tempfile.TemporaryDirectory() as tmp:
        path = make_tiny_models(tmp, {"student": args.size})["student"]
        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path)
        # No stop string: every turn generates max_new_tokens unless the model ends its turn,
        # so both layouts do comparable work per turn.
        policy = HFPolicy(max_new_tokens=args.max_new_tokens, stop_strings=[])
        policy.bind(model, tok)
        packer = ChatPacker(tok)
        results = {}
        with EnvPool(config, num_workers=args.parallel) as pool:
            measure(pool, policy, packer, tasks[: args.parallel], 1)  # warm up JVMs
            results["batched"] = measure(pool, policy, packer, tasks, args.max_turns)
        with EnvPool(config, num_workers=1) as pool:
            measure(pool, policy, packer, tasks[:1], 1)
            results["serial"] = measure(pool, policy, packer, tasks, args.max_turns)
    print(
        f"{args.episodes} ScienceWorld episodes, <= {args.max_turns} turns, model '{args.size}', 2 CPU cores"
    )
    print(f"{'layout':<28}{'s':>8}{'tokens':>9}{'tok/s':>9}{'ep/min':>9}")
    rates = {}
    for name, label in (("batched", f"batched, {args.parallel} envs"), ("serial", "one episode at a time")):
        elapsed, tokens, n = results[name]
        rates[name] = (tokens / elapsed, 60 * n / elapsed)
        print(f"{label:<28}{elapsed:>8.1f}{tokens:>9}{rates[name][0]:>9.1f}{rates[name][1]:>9.1f}")
    print(f"tokens/s ratio:   {rates['batched'][0] / rates['serial'][0]:.1f}x (target >= 3x)")
    print(f"episodes/min ratio: {rates['batched'][1] / rates['serial'][1]:.1f}x")


if __name__ == "__main__":
    main()
