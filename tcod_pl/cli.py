"""``tcod-pl``: LightningCLI with TensorBoard, seeded, model/data/callbacks swappable in YAML."""

from __future__ import annotations

import sys

import lightning.pytorch as pl
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

from tcod_pl.errors import ConfigError

TRAINER_DEFAULTS = {
    # Eval metric states created under inference mode by `validate` cannot be updated by the
    # next `fit`'s validation; no_grad is as fast here.
    "inference_mode": False,
    "logger": {
        "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
        "init_args": {"save_dir": "runs", "name": "tcod"},
    },
}


class TcodCLI(LightningCLI):
    """Subcommands fit / validate / test; ``--config`` files compose left to right."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("subclass_mode_model", True)
        kwargs.setdefault("subclass_mode_data", True)
        kwargs.setdefault("seed_everything_default", 42)
        kwargs.setdefault("save_config_kwargs", {"overwrite": True})
        kwargs.setdefault("trainer_defaults", TRAINER_DEFAULTS)
        super().__init__(pl.LightningModule, pl.LightningDataModule, *args, **kwargs)

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        # Always present, whatever `trainer.callbacks` a composed config sets: `last.ckpt` is
        # what `--ckpt_path last` resumes from.
        parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
        parser.set_defaults({"checkpoint.save_last": True})

    def instantiate_trainer(self, **kwargs: object) -> pl.Trainer:
        trainer_config = {**self._get(self.config_init, "trainer", default={}), **kwargs}
        extra = [self._get(self.config_init, c) for c in self._parser(self.subcommand).callback_keys]
        if trainer_config.get("enable_checkpointing") is False:  # the user turned checkpoints off
            extra = [c for c in extra if not isinstance(c, ModelCheckpoint)]
        return self._instantiate_trainer(trainer_config, extra)

    def instantiate_classes(self) -> None:
        ConfigError.last = None
        try:
            super().instantiate_classes()
        except Exception:
            if ConfigError.last is not None:
                raise ConfigError.last from None
            raise

    @staticmethod
    def subcommands() -> dict[str, set[str]]:
        return {k: v for k, v in LightningCLI.subcommands().items() if k != "predict"}


def main(args: list[str] | None = None) -> None:
    try:
        TcodCLI(args=args)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
