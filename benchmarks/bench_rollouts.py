"""Rollout throughput, side by side in one run on real ScienceWorld episodes.

``--compare backends`` (default): VLLMPolicy vs HFPolicy with the embedded ScienceWorld student,
16 and 32 parallel episodes of up to 30 turns (the demo config's tasks, prompt and sampling).
Prints student tokens/s and episodes/min for both and their ratio (target >= 10x tokens/s at
16 episodes), the time of one weight sync, and the engine's start-up separately.

``--compare layouts``: batched generation across an EnvPool vs one episode at a time, HFPolicy,
a random 'tiny' model (target >= 3x with 8 parallel episodes).

    python benchmarks/bench_rollouts.py [--parallel 16 32] [--max-turns 30]
    python benchmarks/bench_rollouts.py --compare layouts [--parallel 8] [--episodes 16] [--max-turns 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
import yaml
from transformers import AutoModelForCausalLM, AutoTokenizer

from tcod_pl.curriculum.rules import Full
from tcod_pl.data.packing import ChatPacker
from tcod_pl.envs import EnvPool, ScienceWorldConfig
from tcod_pl.envs.base import interleave_by_name
from tcod_pl.rollout.policy import HFPolicy, Policy
from tcod_pl.rollout.prompting import AgentPrompt
from tcod_pl.rollout.runner import RolloutRunner
from tcod_pl.testing import make_tiny_models

STUDENT = "tcod_pl/assets/scienceworld/student"
# The demo's task set, from the one file every demo config composes.
DEMO_ENV = Path(__file__).resolve().parents[1] / "configs" / "envs" / "scienceworld_demo.yaml"
DEMO_TASKS = yaml.safe_load(DEMO_ENV.read_text())["init_args"]["task_names"]


class Timed(Policy):
    """Delegates to ``policy``; adds up the seconds spent generating and keeps each call's prompts."""

    def __init__(self, policy: Policy):
        self.policy, self.seconds, self.batches = policy, 0.0, []

    def reseed(self, seed: int) -> None:
        self.policy.reseed(seed)

    def generate(self, prompts, temperature, top_p=1.0):
        self.batches.append([list(p) for p in prompts])
        start = time.perf_counter()
        out = self.policy.generate(prompts, temperature, top_p)
        self.seconds += time.perf_counter() - start
        return out


def replay(policy: Policy, batches: list[list[list[int]]], temperature: float) -> tuple[float, int]:
    """Generation alone on recorded prompt batches, in turn order: (seconds, tokens)."""
    policy.reseed(0)
    torch.manual_seed(0)
    start, tokens = time.perf_counter(), 0
    for batch in batches:
        tokens += sum(len(g.token_ids) for g in policy.generate(batch, temperature))
    return time.perf_counter() - start, tokens


def measure(
    pool: EnvPool, policy: Policy, packer: ChatPacker, prompt: AgentPrompt, tasks, max_turns: int, temperature
) -> tuple[float, int, int]:
    runner = RolloutRunner(pool, policy, packer, prompt)
    torch.manual_seed(0)
    policy.reseed(0)
    start = time.perf_counter()
    episodes = runner.run(tasks, Full(max_turns=max_turns), temperature=temperature)
    elapsed = time.perf_counter() - start
    tokens = sum(len(t.response_ids or []) for e in episodes for t in e.turns)
    return elapsed, tokens, len(episodes)


def compare_backends(args: argparse.Namespace) -> None:
    from tcod_pl.rollout.vllm_policy import VLLMPolicy

    config = ScienceWorldConfig(task_names=DEMO_TASKS, simplification="easy", jvm_heap=args.jvm_heap)
    tasks = interleave_by_name(config.tasks("dev"))
    tok = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForCausalLM.from_pretrained(args.model)
    prompt = AgentPrompt(hints="every", hint_lines=["Objects"])  # as configs/scienceworld.yaml
    packer = ChatPacker(tok)
    hf = HFPolicy(max_new_tokens=args.max_new_tokens)
    hf.bind(model, tok)
    vllm = VLLMPolicy(max_new_tokens=args.max_new_tokens, kv_cache_gb=args.kv_cache_gb)
    start = time.perf_counter()
    vllm.bind(model, tok)  # engine start-up + the first weight push
    startup = time.perf_counter() - start
    warm_prompts = [packer.prompt_ids(_empty_episode(prompt), "You see a kitchen.")] * 4
    start = time.perf_counter()
    vllm.generate(warm_prompts, 1.0)
    warmup = time.perf_counter() - start
    syncs = []
    for _ in range(5):
        vllm.sync(force=True)
        syncs.append(vllm.last_sync_s)
    print(f"engine start-up: {startup:.1f} s, first generate (warm-up): {warmup:.1f} s", flush=True)
    print(f"weight sync (median of 5): {statistics.median(syncs) * 1000:.0f} ms", flush=True)
    rows, recorded = [], {}
    for n in args.parallel:
        with EnvPool(config, num_workers=n) as pool:
            measure(pool, hf, packer, prompt, tasks[:n], 1, 1.0)  # start the JVMs
            for name, policy in (("HFPolicy", hf), ("VLLMPolicy", vllm)):
                timed = Timed(policy)
                elapsed, tokens, episodes = measure(
                    pool, timed, packer, prompt, tasks[:n], args.max_turns, args.temperature
                )
                recorded[n, name] = timed.batches
                rows.append((n, name, elapsed, tokens, episodes, timed.seconds))
                print(
                    f"  {n} episodes, {name}: {elapsed:.1f} s, {timed.seconds:.1f} s generating, {tokens} tokens",
                    flush=True,
                )
    print(
        f"\nScienceWorld dev episodes (demo tasks, easy), <= {args.max_turns} turns, temperature "
        f"{args.temperature}, <= {args.max_new_tokens} tokens/turn, model {args.model}"
    )
    print(
        "tok/s: student tokens per second spent generating; e2e: per wall-clock second (env steps included)"
    )
    print(
        f"{'parallel':>8}  {'backend':<11}{'s':>8}{'gen s':>8}{'tokens':>8}{'tok/s':>9}{'e2e tok/s':>10}{'ep/min':>8}"
    )
    rates: dict[tuple[int, str], tuple[float, float, float]] = {}
    for n, name, elapsed, tokens, episodes, gen in rows:
        r = rates[n, name] = (tokens / gen, tokens / elapsed, 60 * episodes / elapsed)
        print(f"{n:>8}  {name:<11}{elapsed:>8.1f}{gen:>8.1f}{tokens:>8}{r[0]:>9.1f}{r[1]:>10.1f}{r[2]:>8.1f}")
    for n in args.parallel:
        v, h = rates[n, "VLLMPolicy"], rates[n, "HFPolicy"]
        target = " (target >= 10x)" if n == 16 else ""
        print(
            f"{n} episodes: student tokens/s {v[0] / h[0]:.1f}x{target}; end to end {v[1] / h[1]:.1f}x tokens/s, "
            f"{v[2] / h[2]:.1f}x episodes/min"
        )
    # Generation alone at twice the width: both runs' recorded prompts, turn by turn, side by side.
    n = args.parallel[-1]
    a, b = recorded[n, "HFPolicy"], recorded[n, "VLLMPolicy"]
    wide = [x + y for x, y in zip(a, b)] + a[len(b) :] + b[len(a) :]
    print(
        f"\nreplayed prompts of both runs, up to {max(map(len, wide))} per call ({len(wide)} calls), generation only:"
    )
    vllm.llm.reset_prefix_cache()  # only what the replay itself computes may be reused
    replayed = {
        name: replay(p, wide, args.temperature) for name, p in (("HFPolicy", hf), ("VLLMPolicy", vllm))
    }
    for name, (seconds, tokens) in replayed.items():
        print(f"  {name:<11}{seconds:>8.1f} s{tokens:>8} tokens{tokens / seconds:>9.1f} tok/s")
    (hs, ht), (vs, vt) = replayed["HFPolicy"], replayed["VLLMPolicy"]
    print(f"  student tokens/s ratio {(vt / vs) / (ht / hs):.1f}x")
    print(
        f"weight sync (median of 5): {statistics.median(syncs) * 1000:.0f} ms; engine start-up {startup:.1f} s"
    )


def _empty_episode(prompt: AgentPrompt):
    from tcod_pl.data.episode import Episode

    return Episode(task={}, system=prompt.system)


def compare_layouts(args: argparse.Namespace) -> None:
    parallel = args.parallel[0]
    config = ScienceWorldConfig(task_names=["find-living-thing", "find-non-living-thing"], jvm_heap="384m")
    tasks = config.tasks("dev")[: args.episodes]
    prompt = AgentPrompt(hints="none")
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
        with EnvPool(config, num_workers=parallel) as pool:
            measure(pool, policy, packer, prompt, tasks[:parallel], 1, 1.0)  # warm up JVMs
            results["batched"] = measure(pool, policy, packer, prompt, tasks, args.max_turns, 1.0)
        with EnvPool(config, num_workers=1) as pool:
            measure(pool, policy, packer, prompt, tasks[:1], 1, 1.0)
            results["serial"] = measure(pool, policy, packer, prompt, tasks, args.max_turns, 1.0)
    print(f"{args.episodes} ScienceWorld episodes, <= {args.max_turns} turns, model '{args.size}'")
    print(f"{'layout':<28}{'s':>8}{'tokens':>9}{'tok/s':>9}{'ep/min':>9}")
    rates = {}
    for name, label in (("batched", f"batched, {parallel} envs"), ("serial", "one episode at a time")):
        elapsed, tokens, n = results[name]
        rates[name] = (tokens / elapsed, 60 * n / elapsed)
        print(f"{label:<28}{elapsed:>8.1f}{tokens:>9}{rates[name][0]:>9.1f}{rates[name][1]:>9.1f}")
    print(f"tokens/s ratio:   {rates['batched'][0] / rates['serial'][0]:.1f}x (target >= 3x)")
    print(f"episodes/min ratio: {rates['batched'][1] / rates['serial'][1]:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", choices=["backends", "layouts"], default="backends")
    parser.add_argument("--parallel", type=int, nargs="+", default=None)
    parser.add_argument("--max-turns", type=int, default=None)
    parser.add_argument("--max-new-tokens", type=int, default=24)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--model", default=STUDENT, help="backends: the policy model")
    parser.add_argument("--kv-cache-gb", type=float, default=1.0, help="backends: vLLM KV cache")
    parser.add_argument("--jvm-heap", default="256m", help="backends: per ScienceWorld JVM")
    parser.add_argument("--episodes", type=int, default=16, help="layouts: episodes")
    parser.add_argument("--size", default="tiny", help="layouts: random model size")
    args = parser.parse_args()
    if args.compare == "backends":
        args.parallel = args.parallel or [16, 32]
        args.max_turns = args.max_turns or 30
        compare_backends(args)
    else:
        args.parallel = args.parallel or [8]
        args.max_turns = args.max_turns or 5
        compare_layouts(args)


if __name__ == "__main__":
    main()
