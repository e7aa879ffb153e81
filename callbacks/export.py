"""Export the trained model in Hugging Face format when fitting ends."""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
from lightning.pytorch.callbacks import Callback


class ExportHuggingFace(Callback):
    """``save_pretrained`` the student (LoRA merged, or as an adapter) plus its tokenizer.

    ``dirpath`` defaults to ``<log_dir>/hf``; only rank 0 writes.
    """

    def __init__(self, dirpath: str | None = None, merge_lora: bool = True):
        self.dirpath = dirpath
        self.merge_lora = merge_lora

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.is_global_zero:
            return
        path = Path(self.dirpath) if self.dirpath else Path(trainer.log_dir or ".") / "hf"
        pl_module.save_pretrained(path, merge_lora=self.merge_lora)
