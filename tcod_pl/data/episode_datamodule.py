"""Serve packed episodes from JSONL files (expert demonstrations, recorded rollouts)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import lightning.pytorch as pl
from torch.utils.data import DataLoader

from tcod_pl.data.episode import load_episodes
from tcod_pl.data.packing import ChatPacker, PackedSample, collate
from tcod_pl.errors import ConfigError


class EpisodeDataModule(pl.LightningDataModule):
    """Episodes stored one JSON object per line (``tcod_pl.data.episode.save_episodes``).

    The tokenizer is the LightningModule's (``module.tokenizer``), so data and model agree.
    """

    files_exist_at_init = True  # False in subclasses that write their files in prepare_data

    def __init__(
        self,
        train_file: str,
        val_file: str | None = None,
        test_file: str | None = None,
        batch_size: int = 8,
        max_length: int | None = None,
        packing: str = "auto",
        shuffle: bool = True,
        num_workers: int = 0,
    ):
        super().__init__()
        if batch_size < 1:
            raise ConfigError(f"data.batch_size must be >= 1, got {batch_size}")
        for name, path in (("train_file", train_file), ("val_file", val_file), ("test_file", test_file)):
            if self.files_exist_at_init and path is not None and not Path(path).is_file():
                raise ConfigError(
                    f"data.{name} '{path}' does not exist: write episodes with save_episodes() first."
                )
        self.files = {"train": train_file, "val": val_file, "test": test_file}
        self.batch_size = batch_size
        self.max_length = max_length
        self.packing = packing
        self.shuffle = shuffle
        self.num_workers = num_workers
        self.samples: dict[str, list[PackedSample]] = {}

    def packer(self) -> ChatPacker:
        return ChatPacker(self.trainer.lightning_module.tokenizer, self.max_length, self.packing)

    def setup(self, stage: str) -> None:
        packer = self.packer()
        self.pad_id = packer.tokenizer.pad_token_id
        for split, path in self.files.items():
            if path is not None and split not in self.samples:
                self.samples[split] = packer.pack_many(load_episodes(path))

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        return DataLoader(
            self.samples[split],
            batch_size=self.batch_size,
            shuffle=shuffle,
            collate_fn=partial(collate, pad_id=self.pad_id),
            num_workers=self.num_workers,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", self.shuffle)

    def val_dataloader(self) -> DataLoader | list:
        return self._loader("val", False) if "val" in self.samples else []

    def test_dataloader(self) -> DataLoader | list:
        if "test" not in self.samples:
            raise ConfigError("data.test_file is not set: give episodes to test on.")
        return self._loader("test", False)
