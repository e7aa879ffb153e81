"""``tcod-pl``: LightningCLI with TensorBoard, seeded, model/data/callbacks swappable in YAML."""

from __future__ import annotations

import sys

import lightning.pytorch as pl
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

from callbacks.curriculum import CurriculumCallback  # the CLI wires the top-level callbacks in
from tcod_pl.curriculum import Curriculum, Schedule
from tcod_pl.errors import ConfigError
from tcod_pl.quiet import quiet_known_noise

TRAINER_DEFAULTS = {
    # Eval metric states created under inference mode by `validate` cannot be updated by the
    # next `fit`'s validation; no_grad is as fast here.
    "inference_mode": False,
    "logger": {
        "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
        "init_args": {"save_dir": "runs", "name": "tcod"},
    },
}


def curriculum(schedule: Schedule | None = None, mode: str = "f2b") -> CurriculumCallback:
    """The ``curriculum:`` key: a ``CurriculumCallback``, or None when no schedule is set."""
    return None if schedule is None else CurriculumCallback(schedule, mode)  # type: ignore[return-value]


class TcodCLI(LightningCLI):
    """Subcommands fit / validate / test; ``--config`` files compose left to right."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("subclass_mode_model", True)
        kwargs.setdefault("subclass_mode_data", True)
        kwargs.setdefault("seed_everything_default", 42)
        kwargs.setdefault("save_config_kwargs", {"overwrite": True})
        kwargs.setdefault("trainer_defaults", TRAINER_DEFAULTS)
        # One place for optimizer and schedule: the module's own optimizer / lr_scheduler arguments
        # (they see the trainable parameters only, never the frozen teacher).
        kwargs.setdefault("auto_configure_optimizers", False)
        super().__init__(pl.LightningModule, pl.LightningDataModule, *args, **kwargs)

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        # Always present, whatever `trainer.callbacks` a composed config sets: `last.ckpt` is
        # what `--ckpt_path last` resumes from.
        parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
        parser.set_defaults({"checkpoint.save_last": True})
        # The curriculum has its own key, so a curriculum file swaps the method (schedule + mode) and
        # leaves trainer.callbacks alone. Without a schedule there is none: full-depth training episodes.
        parser.add_lightning_class_args(curriculum, "curriculum")

    def instantiate_trainer(self, **kwargs: object) -> pl.Trainer:
        trainer_config = {**self._get(self.config_init, "trainer", default={}), **kwargs}
        extra = [self._get(self.config_init, c) for c in self._parser(self.subcommand).callback_keys]
        extra = [c for c in extra if c is not None]  # no curriculum set
        self._check_one_curriculum(trainer_config, extra)
        if trainer_config.get("enable_checkpointing") is False:  # the user turned checkpoints off
            extra = [c for c in extra if not isinstance(c, ModelCheckpoint)]
        return self._instantiate_trainer(trainer_config, extra)

    @staticmethod
    def _check_one_curriculum(trainer_config: dict, extra: list) -> None:
        listed = [c for c in trainer_config.get("callbacks") or [] if isinstance(c, Curriculum)]
        if listed and any(isinstance(c, Curriculum) for c in extra):
            raise ConfigError(
                "a curriculum is set both under `curriculum:` and in trainer.callbacks: remove the "
                "CurriculumCallback entry from trainer.callbacks (configs/curriculum/*.yaml set `curriculum:`)"
            )

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
    quiet_known_noise()
    try:
        TcodCLI(args=args)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
