"""Load Hugging Face causal LMs and tokenizers from an id or a local path, with clear errors."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from tcod_pl.errors import ConfigError

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


@dataclass
class LoraOptions:
    """LoRA through ``peft``; ``r=0`` means full fine-tuning."""

    r: int = 16
    alpha: int = 32
    dropout: float = 0.0
    target_modules: list[str] = field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])


def looks_local(name_or_path: str) -> bool:
    """Whether ``name_or_path`` is meant as a directory: a hub id is ``name`` or ``org/name``."""
    if os.path.isdir(name_or_path) or name_or_path.startswith((".", "/", "~")) or "\\" in name_or_path:
        return True
    return name_or_path.count("/") > 1


def _check_source(name_or_path: str, role: str) -> None:
    local = looks_local(name_or_path)
    offline = os.environ.get("HF_HUB_OFFLINE") == "1"
    if local and not Path(name_or_path).expanduser().is_dir():
        relative = "" if Path(name_or_path).expanduser().is_absolute() else f" (relative to {os.getcwd()})"
        raise ConfigError(
            f"{role} model path '{name_or_path}'{relative} does not exist: point {role}= at a directory "
            "made by `save_pretrained` (see README, 'Models'; the shipped configs' relative paths work "
            "from the repository root) or at a Hugging Face model id."
        )
    if not local and offline:
        cache = os.environ.get("HF_HOME", "~/.cache/huggingface")
        hint = f"download it first or set {role}= to a local directory (HF_HUB_OFFLINE=1; cache {cache})"
        if not _in_hf_cache(name_or_path):
            raise ConfigError(
                f"{role} model '{name_or_path}' is not a local directory and not cached: {hint}."
            )


def _in_hf_cache(repo_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except Exception:
        return False


def load_tokenizer(
    name_or_path: str, role: str = "model", trust_remote_code: bool = False
) -> PreTrainedTokenizerBase:
    _check_source(name_or_path, role)
    try:
        tokenizer = AutoTokenizer.from_pretrained(name_or_path, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as err:
        raise ConfigError(
            f"Could not load the {role} tokenizer from '{name_or_path}': {str(err).splitlines()[0]}"
        ) from err
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_causal_lm(
    name_or_path: str,
    role: str = "model",
    dtype: str = "float32",
    trust_remote_code: bool = False,
    attn_implementation: str | None = None,
) -> PreTrainedModel:
    """``attn_implementation``: transformers' (``sdpa``, ``eager``, ``flash_attention_2`` with the
    flash-attn package, ``flex_attention``); None: the model's default (sdpa where it has one)."""
    _check_source(name_or_path, role)
    if dtype not in _DTYPES:
        raise ConfigError(f"dtype '{dtype}' is not supported; choose one of {sorted(_DTYPES)}.")
    extra = {} if attn_implementation is None else {"attn_implementation": attn_implementation}
    try:
        return AutoModelForCausalLM.from_pretrained(
            name_or_path, dtype=_DTYPES[dtype], trust_remote_code=trust_remote_code, **extra
        )
    except (OSError, ValueError, ImportError) as err:
        option = f" with attn_implementation '{attn_implementation}'" if attn_implementation else ""
        raise ConfigError(
            f"Could not load the {role} model from '{name_or_path}'{option}: {str(err).splitlines()[0]}"
        ) from err


def apply_lora(model: PreTrainedModel, options: LoraOptions) -> torch.nn.Module:
    """Wrap ``model`` with LoRA adapters; only adapter weights keep ``requires_grad``."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=options.r,
        lora_alpha=options.alpha,
        lora_dropout=options.dropout,
        target_modules=options.target_modules,
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)


def check_same_vocabulary(
    student: PreTrainedTokenizerBase, teacher: PreTrainedTokenizerBase, student_name: str, teacher_name: str
) -> None:
    """Distillation compares log-probs token by token: both models must map tokens to the same ids."""
    sv, tv = student.get_vocab(), teacher.get_vocab()
    if sv == tv:
        return
    only_s = sorted(set(sv) - set(tv))
    only_t = sorted(set(tv) - set(sv))
    moved = sorted(t for t in set(sv) & set(tv) if sv[t] != tv[t])
    parts = []
    if only_s:
        parts.append(f"{len(only_s)} tokens only in the student (e.g. {only_s[:3]})")
    if only_t:
        parts.append(f"{len(only_t)} tokens only in the teacher (e.g. {only_t[:3]})")
    if moved:
        parts.append(f"{len(moved)} tokens with different ids (e.g. {moved[:3]})")
    raise ConfigError(
        f"Student '{student_name}' ({len(sv)} tokens) and teacher '{teacher_name}' ({len(tv)} tokens) do not share "
        f"a tokenizer vocabulary: {'; '.join(parts)}. Use a teacher and student of the same tokenizer family."
    )
