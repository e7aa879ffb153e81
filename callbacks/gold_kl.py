"""Student-teacher KL on fixed gold episodes: the states a successful agent visits."""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback

import tcod_pl
from tcod_pl.data.episode import Episode, load_episodes
from tcod_pl.data.packing import ChatPacker
from tcod_pl.errors import ConfigError
from tcod_pl.losses import ForwardKL, ReverseKL

PACKAGE_ROOT = Path(tcod_pl.__file__).resolve().parents[1]


class GoldStateKL(Callback):
    """Logs, at every evaluation, the per-token KL between student and teacher on gold episodes.

    The panel's ``token_kl`` is measured on the student's own episodes, so it can fall while the
    student moves away from the teacher on the states that lead to success (README, Results: every
    distilled student of the embedded demo did). This reads fixed episodes (e.g. expert
    demonstrations of dev variations), teacher-forced, and logs, averaged over their response tokens:
    ``{stage}/gold_kl`` = KL(teacher || student) over the full vocabulary (the teacher's whole
    distribution as the reference) and ``{stage}/gold_reverse_kl`` = KL(student || teacher).
    Computed as the evaluation starts, so the values sit beside the panel's metrics.

    Args:
        episodes: a JSONL file of episodes (``tcod_pl.data.episode`` format; text turns).
        max_episodes: read at most this many.
    """

    def __init__(self, episodes: str, max_episodes: int | None = 64) -> None:
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
        temperature = float(getattr(pl_module, "teacher_temperature", 1.0))
        forward, reverse = self.kl(student, teacher, ChatPacker(pl_module.tokenizer), temperature)
        n = len(forward)
        if n == 0:  # episodes without a supervised response token: nothing to compare
            return
        pl_module.log(f"{stage}/gold_kl", sum(forward) / n, batch_size=n)
        pl_module.log(f"{stage}/gold_reverse_kl", sum(reverse) / n, batch_size=n)

    def kl(
        self, student: torch.nn.Module, teacher: torch.nn.Module, packer: ChatPacker, temperature: float = 1.0
    ) -> tuple[list[float], list[float]]:
        """KL(teacher || student) and KL(student || teacher) at every response token of the episodes
        (the teacher's logits divided by ``temperature``, as the distillation loss sees them)."""
        forward: list[float] = []
        reverse: list[float] = []
        device = next(student.parameters()).device
        for episode in self.episodes:
            for sample in packer.pack(episode):
                ids = torch.tensor([sample.input_ids], device=device)
                # position i predicts token i + 1: the logits before each supervised token
                at = torch.tensor(sample.loss_mask[1:], device=device)
                logits_s = student(input_ids=ids).logits[0, :-1][at].float()
                logits_t = teacher(input_ids=ids).logits[0, :-1][at].float() / temperature
                vocab = min(logits_s.shape[-1], logits_t.shape[-1])  # padded embedding rows
                logits_s, logits_t = logits_s[:, :vocab], logits_t[:, :vocab]
                forward += ForwardKL().per_token(logits_s, logits_t, None, None).tolist()
                reverse += ReverseKL().per_token(logits_s, logits_t, None, None).tolist()
        return forward, reverse
