"""Student-teacher KL on fixed gold episodes: the states a successful agent visits."""

from __future__ import annotations

import logging
from pathlib import Path

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback

import tcod_pl
from tcod_pl.data.episode import Episode, load_episodes
from tcod_pl.data.packing import ChatPacker
from tcod_pl.errors import ConfigError
from tcod_pl.models.scoring import logits_at
from tcod_pl.teachers import HFTeacher, Teacher

log = logging.getLogger(__name__)

PACKAGE_ROOT = Path(tcod_pl.__file__).resolve().parents[1]


class GoldStateKL(Callback):
    """Logs, at every evaluation, the per-token KL between student and teacher on gold episodes.

    The panel's ``token_kl`` is measured on the student's own episodes, so it can fall while the
    student moves away from the teacher on the states that lead to success (README, Results: every
    distilled student of the embedded demo did). This reads fixed episodes (e.g. expert
    demonstrations of dev variations), teacher-forced, and logs, averaged over their response tokens:
    ``{stage}/gold_kl`` = KL(teacher || student) over the full vocabulary (the teacher's whole
    distribution as the reference) and ``{stage}/gold_reverse_kl`` = KL(student || teacher).
    Computed as the evaluation starts, so the values sit beside the panel's metrics, one episode at
    a time and at the response positions only (never [L, V] logits of a whole episode). Needs the
    teacher's full distribution: with a served or vLLM teacher it logs nothing (one warning).

    Args:
        episodes: a JSONL file of episodes (``tcod_pl.data.episode`` format; text turns).
        max_episodes: read at most this many.
        chunk_tokens: response positions per forward pass: [chunk_tokens, V] logits of each model
            at a time (with a 151k vocabulary, 512 positions are ~0.3 GB of fp32 per model).
    """

    def __init__(self, episodes: str, max_episodes: int | None = 64, chunk_tokens: int = 512) -> None:
        if chunk_tokens < 1:
            raise ConfigError(f"GoldStateKL: chunk_tokens must be >= 1, got {chunk_tokens}")
        self.chunk_tokens = chunk_tokens
        path = Path(episodes)
        if not path.is_file() and not path.is_absolute() and (PACKAGE_ROOT / path).is_file():
            path = PACKAGE_ROOT / path  # a shipped file (tcod_pl/assets/...) from any directory
        if not path.is_file():
            raise ConfigError(
                f"GoldStateKL: episodes file {episodes} not found; point init_args.episodes at a JSONL of "
                "episodes (the build script's expert cache, or the shipped "
                "tcod_pl/assets/scienceworld/gold_dev.jsonl)"
            )
        self.episodes: list[Episode] = load_episodes(path)[:max_episodes]
        if not self.episodes:
            raise ConfigError(f"GoldStateKL: {episodes} holds no episodes")

    def on_validation_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._log(pl_module, "val")

    def on_test_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._log(pl_module, "test")

    @torch.no_grad()
    def _log(self, pl_module: pl.LightningModule, stage: str) -> None:
        student, teacher = getattr(pl_module, "student", None), getattr(pl_module, "teacher", None)
        if student is None or teacher is None:
            raise ConfigError("GoldStateKL needs a module with a student and a teacher (DistillationModule)")
        if isinstance(teacher, Teacher) and teacher.provides()[0] != "full":
            if not getattr(self, "_warned", False):
                log.warning(
                    "GoldStateKL needs the teacher's full distribution; %s gives the sampled token's "
                    "log-prob only, so gold_kl is not logged (use an in-process teacher for it)",
                    teacher.describe(),
                )
                self._warned = True
            return
        temperature = float(getattr(pl_module, "teacher_temperature", 1.0))
        vocab = getattr(pl_module, "vocab_size", None)
        forward, reverse = self.kl(student, teacher, ChatPacker(pl_module.tokenizer), temperature, vocab)
        n = len(forward)
        if n == 0:  # episodes without a supervised response token: nothing to compare
            return
        pl_module.log(f"{stage}/gold_kl", sum(forward) / n, batch_size=n)
        pl_module.log(f"{stage}/gold_reverse_kl", sum(reverse) / n, batch_size=n)

    @torch.no_grad()
    def kl(
        self,
        student: torch.nn.Module,
        teacher: torch.nn.Module,
        packer: ChatPacker,
        temperature: float = 1.0,
        vocab: int | None = None,
    ) -> tuple[list[float], list[float]]:
        """KL(teacher || student) and KL(student || teacher) at every response token of the episodes
        (the teacher's logits divided by ``temperature``, as the distillation loss sees them), over
        the first ``vocab`` ids (the tokenizer's; None: the narrower model's width)."""
        forward: list[float] = []
        reverse: list[float] = []
        teacher_model = teacher.model if isinstance(teacher, HFTeacher) else teacher
        device = next(student.parameters()).device
        for episode in self.episodes:
            for sample in packer.pack(episode):
                ids = torch.tensor([sample.input_ids], device=device)
                batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
                # position i predicts token i + 1: the logits before each supervised token
                for at in self.chunks(torch.tensor([sample.loss_mask[1:]], device=device)):
                    logits_s = logits_at(student, batch, at)
                    logits_t = logits_at(teacher_model, batch, at) / temperature
                    width = vocab or min(logits_s.shape[-1], logits_t.shape[-1])
                    ls = torch.log_softmax(logits_s[:, :width], -1)
                    lt = torch.log_softmax(logits_t[:, :width], -1)
                    forward += (lt.exp() * (lt - ls)).sum(-1).tolist()
                    reverse += (ls.exp() * (ls - lt)).sum(-1).tolist()
        return forward, reverse

    def chunks(self, select: torch.Tensor) -> list[torch.Tensor]:
        """``select`` split into masks of at most ``chunk_tokens`` positions each, in order."""
        where = select.nonzero()
        out = []
        for start in range(0, len(where), self.chunk_tokens):
            part = torch.zeros_like(select)
            rows, cols = where[start : start + self.chunk_tokens].unbind(-1)
            part[rows, cols] = True
            out.append(part)
        return out
