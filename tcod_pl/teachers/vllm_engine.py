"""The teacher as an in-process vLLM engine: prompt_logprobs of the packed episodes."""

from __future__ import annotations

import os
import time
from typing import Any

import torch
from transformers import PreTrainedTokenizerBase

from tcod_pl.errors import ConfigError
from tcod_pl.models.loading import check_same_vocabulary, load_tokenizer
from tcod_pl.teachers.base import Teacher, unpadded_rows
from tcod_pl.teachers.prompt_logprobs import normalise, scores_at, temperature_error
from tcod_pl.teachers.scores import TeacherScores


class VLLMTeacher(Teacher):
    """A vLLM engine in the trainer's process scores each packed episode in one request.

    What it returns is what :class:`ServedTeacher` returns (the sampled token's log-prob, and the
    top ``top_k``), without a server: for one machine where the teacher fits beside the trainer and
    vLLM's kernels beat the Hugging Face forward. Each rank builds its own engine.

    Args:
        model: a Hugging Face id or local directory (real weights, loaded by vLLM).
        top_k: the teacher's top tokens per position (0: the sampled token only).
        dtype: the engine's dtype; "auto" is vLLM's choice (bf16 for fp32 checkpoints on CPU), so
            pass the dtype the trainer scores in when the two must agree.
        max_model_len, kv_cache_gb, gpu_memory_utilization, enforce_eager,
        tensor_parallel_size, engine_kwargs: as ``vllm.LLM`` (kv_cache_gb sets kv_cache_memory_bytes).
    """

    kind = "VLLMTeacher"

    def __init__(
        self,
        model: str,
        top_k: int = 0,
        dtype: str = "auto",
        max_model_len: int | None = None,
        kv_cache_gb: float | None = 1.0,
        gpu_memory_utilization: float = 0.3,
        enforce_eager: bool = True,
        tensor_parallel_size: int = 1,
        engine_kwargs: dict[str, Any] | None = None,
        trust_remote_code: bool = False,
    ):
        if top_k < 0:
            raise ConfigError(f"VLLMTeacher.top_k must be >= 0, got {top_k}")
        self.path = model
        self.top_k = top_k
        self.settings: dict[str, Any] = {
            "dtype": dtype,
            "enforce_eager": enforce_eager,
            "gpu_memory_utilization": gpu_memory_utilization,
            "tensor_parallel_size": tensor_parallel_size,
            "max_logprobs": max(20, top_k),
            "trust_remote_code": trust_remote_code,
            "seed": 0,
            **(engine_kwargs or {}),
        }
        if max_model_len is not None:
            self.settings["max_model_len"] = max_model_len
        if kv_cache_gb is not None:
            self.settings["kv_cache_memory_bytes"] = int(kv_cache_gb * 2**30)
        self.llm: Any = None
        self.startup_s: float | None = None

    def describe(self) -> str:
        return f"VLLMTeacher ({self.path})"

    def provides(self) -> tuple[str, int]:
        return ("topk", self.top_k) if self.top_k else ("sampled", 0)

    def bind(
        self, tokenizer: PreTrainedTokenizerBase, student: str, vocab_size: int, temperature: float
    ) -> None:
        if temperature != 1.0:
            raise temperature_error(self.kind, temperature)
        trust = bool(self.settings["trust_remote_code"])
        check_same_vocabulary(tokenizer, load_tokenizer(self.path, "teacher", trust), student, self.path)
        if self.llm is None:
            self._start()

    def _start(self) -> None:
        # vLLM's start-up helpers of the rollout engine: the same quieting and NUMA-line filter.
        from tcod_pl.rollout.vllm_policy import (
            _HARMLESS_STDERR,
            INSTALL_HINT,
            _quiet_vllm,
            _without_stderr_lines,
        )

        os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0"
        _quiet_vllm()
        try:
            import vllm
        except ImportError as err:
            raise ConfigError(f"{INSTALL_HINT} ({err})") from err
        kwargs = {"model": self.path, **self.settings}
        if not torch.cuda.is_available():
            kwargs.setdefault("enable_chunked_prefill", False)
        start = time.perf_counter()
        try:
            with _without_stderr_lines(_HARMLESS_STDERR):
                self.llm = vllm.LLM(**kwargs)
        except Exception as err:
            raise ConfigError(f"could not start the vLLM teacher engine for '{self.path}': {err}") from err
        self.startup_s = time.perf_counter() - start

    def score(
        self, batch: dict[str, torch.Tensor], select: torch.Tensor, targets: torch.Tensor
    ) -> TeacherScores:
        from vllm import SamplingParams, TokensPrompt

        rows = unpadded_rows(batch)
        params = SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=self.top_k, detokenize=False)
        outputs = self.llm.generate([TokensPrompt(prompt_token_ids=r) for r in rows], params, use_tqdm=False)
        answers = [normalise(out.prompt_logprobs, row, self.top_k) for out, row in zip(outputs, rows)]
        return scores_at(answers, select.cpu(), self.top_k).to(targets.device)

    def close(self) -> None:
        if self.llm is not None:
            engine, self.llm = self.llm, None
            try:
                engine.llm_engine.engine_core.shutdown()
            except Exception:  # best effort: the engine goes either way
                pass
            del engine

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "llm": None}
