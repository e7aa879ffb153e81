"""Offline tiny models: a word-level tokenizer built from environment text and a small Qwen2.

Both are saved with ``save_pretrained`` and load back with ``from_pretrained``, exactly like a
hub model, so everything downstream runs the same code path as a real Qwen checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from transformers import PreTrainedModel, PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

# Qwen's chat markup, so that prompts look like a real Qwen2.5 instruct model's.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# Response markup: one token each, so an action costs a handful of tokens.
MARKUP_TOKENS = ["<think>", "</think>", "<action>", "</action>"]
ROLES = ["system", "user", "assistant"]

# name -> (hidden, layers, heads, kv_heads, intermediate). Every size has head size 32: vLLM's
# CPU attention accepts 32, 64, 80, ... but not 16, so each model also runs under VLLMPolicy.
# The embedded ScienceWorld teacher is "small" (5.0M parameters); its student is that teacher
# pruned (tcod_pl.models.prune), 1.19M.
MODEL_SIZES: dict[str, tuple[int, int, int, int, int]] = {
    "nano": (32, 2, 1, 1, 64),
    "micro": (64, 2, 2, 1, 192),
    "tiny": (128, 4, 4, 2, 384),
    "mini": (192, 5, 6, 2, 576),  # 2.4M at the demo's vocabulary
    "small": (256, 6, 8, 4, 768),
    "medium": (320, 8, 10, 2, 960),  # 9.7M at the demo's vocabulary
    "base": (384, 8, 12, 4, 1152),
}

# Qwen2's own pre-tokenisation, so that ``AutoTokenizer`` (which rebuilds a Qwen2Tokenizer from
# vocab + merges for any Qwen2 checkpoint) reproduces this tokenizer exactly.
QWEN2_SPLIT = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
    r"""|\s*[\r\n]+|\s+(?!\S)|\s+"""
)


def build_tokenizer(
    corpus: Iterable[str],
    extra_tokens: Iterable[str] = (),
    max_vocab: int = 8192,
    min_frequency: int = 1,
) -> PreTrainedTokenizerFast:
    """A byte-level BPE over ``corpus``, trained until whole words are single tokens.

    On environment text this is a word-level tokenizer (every corpus word is one token) that
    still encodes any unseen text through bytes. It uses Qwen2's pre-tokeniser and chat markup,
    so it saves and loads like a Qwen2 checkpoint. ``extra_tokens`` become added tokens
    (e.g. multi-word object names).
    """
    backend = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    backend.normalizer = normalizers.NFC()
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=max_vocab,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(list(corpus) + ROLES, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token=None,
        pad_token="<|endoftext|>",
        eos_token="<|im_end|>",
        bos_token=None,
        additional_special_tokens=["<|im_start|>", "<|im_end|>"],
        clean_up_tokenization_spaces=False,
    )
    tokenizer.add_tokens(MARKUP_TOKENS + sorted(set(extra_tokens) - set(MARKUP_TOKENS)))
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


ARCHITECTURES = ("qwen2", "qwen3")


def build_model(
    tokenizer: PreTrainedTokenizerFast,
    size: str = "tiny",
    max_positions: int = 8192,
    architecture: str = "qwen2",
) -> PreTrainedModel:
    """A randomly initialised Qwen2 (or Qwen3) of a named size (see ``MODEL_SIZES``) for ``tokenizer``.

    The Qwen3 has what Qwen3 checkpoints have and Qwen2 lacks: RMS norms on queries and keys, no
    attention biases, and a head size of its own (twice hidden / heads here, as Qwen3-4B's 128
    is more than its 2560 / 32).
    """
    if size not in MODEL_SIZES:
        raise ValueError(f"Unknown model size {size!r}; choose one of {sorted(MODEL_SIZES)}.")
    if architecture not in ARCHITECTURES:
        raise ValueError(f"Unknown architecture {architecture!r}; choose one of {ARCHITECTURES}.")
    hidden, layers, heads, kv_heads, inter = MODEL_SIZES[size]
    fields = dict(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=inter,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
        use_cache=True,
    )
    if architecture == "qwen3":
        from transformers import Qwen3Config, Qwen3ForCausalLM

        return Qwen3ForCausalLM(Qwen3Config(**fields, head_dim=2 * hidden // heads))
    return Qwen2ForCausalLM(Qwen2Config(**fields))


def save_tiny(
    path: str | Path,
    tokenizer: PreTrainedTokenizerFast,
    size: str = "tiny",
    seed: int = 0,
    architecture: str = "qwen2",
) -> Path:
    """Build a model of ``size`` for ``tokenizer`` and save both to ``path`` (safetensors)."""
    import torch

    torch.manual_seed(seed)
    model = build_model(tokenizer, size, architecture=architecture)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def count_parameters(model: object) -> int:
    return sum(p.numel() for p in model.parameters())  # type: ignore[attr-defined]
