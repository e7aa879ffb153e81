"""``tcod-pl``: LightningCLI with TensorBoard, seeded, model/data/callbacks swappable in YAML.

Bad input ends in one line, ``error: ...``, and exit status 2; a diverged run in one line and status 1;
SIGTERM (preemption) in a checkpoint of the step in progress, one line and status 143; a served
teacher that stops answering in a checkpoint, one line and status 3; a full disk (or a folder that
stopped taking files) in one line and status 4, the previous checkpoint whole.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import lightning.pytorch as pl
import torch
import yaml
from jsonargparse import Namespace
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI
from lightning.pytorch.plugins.io import TorchCheckpointIO
from lightning.pytorch.utilities.exceptions import SIGTERMException

from callbacks.curriculum import CurriculumCallback  # the CLI wires the top-level callbacks in
from tcod_pl.checkpointing import CadenceCheckpoint
from tcod_pl.curriculum import Curriculum, Schedule
from tcod_pl.envs.base import EnvError
from tcod_pl.errors import ConfigError, TeacherUnavailable, TrainingDiverged
from tcod_pl.guards import DivergenceGuard, LostUpdateGuard, explain
from tcod_pl.quiet import quiet_known_noise
from tcod_pl.resume import RNGState, TeacherFaultCheckpoint, find_last_checkpoint, version_value
from tcod_pl.storage import AtomicCheckpointIO, FreeSpaceCheck, StorageError, storage_error

TRAINER_DEFAULTS = {
    # Eval metric states created under inference mode by `validate` cannot be updated by the
    # next `fit`'s validation; no_grad is as fast here.
    "inference_mode": False,
    "logger": {
        "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
        "init_args": {"save_dir": "runs", "name": "tcod"},
    },
}

SIGTERM_EXIT = 128 + 15  # what a shell reports for a process ended by SIGTERM
TEACHER_LOST_EXIT = 3
STORAGE_EXIT = 4
PROJECT_DIRS = tuple(str(Path(__file__).resolve().parents[1] / d) + os.sep for d in ("tcod_pl", "callbacks"))


class Preempted(Exception):
    """The run stopped on SIGTERM after checkpointing; the CLI exits with status 143."""


class TeacherLost(Exception):
    """A served teacher stopped answering; the CLI exits with status 3 after checkpointing."""


class StorageLost(Exception):
    """A write failed for lack of space or permission; the CLI exits with status 4."""


# jsonargparse's report of a union type: the lines that say what was tried, not what went wrong.
_UNION_NOISE = (
    "Does not validate against any of the Union subtypes",
    "Subtypes:",
    "Errors:",
    "Expected a <class 'NoneType'>",
    "Given value type:",
    "Given value:",
)


class TcodArgumentParser(LightningArgumentParser):
    """Parse errors (misspelt key, wrong type, missing file) become one ``error:`` line, no usage dump."""

    def error(self, message: str, ex: Exception | None = None) -> NoReturn:
        if not self.exit_on_error:  # jsonargparse is probing; it handles the exception itself
            super().error(message, ex)
        lines = [ln.strip().removeprefix("- ") for ln in message.splitlines() if ln.strip()]
        kept = [ln for ln in lines if not ln.startswith(_UNION_NOISE)]
        words = self.prog.split()
        command = f"tcod-pl {words[-1]}" if words and words[-1] in TcodCLI.subcommands() else "tcod-pl"
        raise ConfigError(f"{' '.join(kept)} (all options: `{command} --help`)")


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
        kwargs.setdefault("parser_class", TcodArgumentParser)
        super().__init__(pl.LightningModule, pl.LightningDataModule, *args, **kwargs)

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        # Always present, whatever `trainer.callbacks` a composed config sets: `last.ckpt` is
        # what `--ckpt_path last` resumes from. One training step (a batch of rollouts) is
        # expensive: checkpoint at the end of every step, not only when validation ends.
        parser.add_lightning_class_args(CadenceCheckpoint, "checkpoint")  # last.ckpt on its own cadence
        parser.set_defaults({"checkpoint.save_last": True, "checkpoint.save_on_train_epoch_end": True})
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
        self.teacher_fault = TeacherFaultCheckpoint()
        extra += [RNGState(), DivergenceGuard(), LostUpdateGuard(), FreeSpaceCheck(), self.teacher_fault]
        trainer = self._instantiate_trainer(trainer_config, extra)
        if type(trainer.strategy.checkpoint_io) is TorchCheckpointIO:  # not a user's own plugin
            trainer.strategy.checkpoint_io = AtomicCheckpointIO()
        return trainer

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
        except Exception as err:
            if ConfigError.last is not None:
                raise ConfigError.last from None
            user = _user_error(err)
            if user is not None:
                raise user from None
            raise

    def before_instantiate_classes(self) -> None:
        if self.subcommand is not None:
            _check_writable_dirs(self.config[self.subcommand])

    def _parse_ckpt_path(self) -> None:
        """Check ``--ckpt_path`` and resolve ``last``; never let the checkpoint's hyper-parameters
        override the config or the command line (Lightning's default), only report differences."""
        subcommand = self.config.get("subcommand")
        if not subcommand:
            return
        config = self.config[subcommand]
        if config.get("ckpt_path") == "last":
            _resolve_last(config, reopen_run=subcommand == "fit")
        ckpt_path = config.get("ckpt_path")
        if ckpt_path in (None, "last", "best", "hpc") or "://" in str(ckpt_path):
            return  # Lightning's own keywords, and remote paths it reads through fsspec
        checkpoint = read_checkpoint(ckpt_path)
        for line in _differences(checkpoint.get("hyper_parameters") or {}, config.get("model"), ckpt_path):
            print(f"note: {line}", file=sys.stderr)

    def _run_subcommand(self, subcommand: str) -> None:
        try:
            super()._run_subcommand(subcommand)
        except SIGTERMException:
            raise Preempted(self._preempted(subcommand)) from None
        except TeacherUnavailable as err:
            raise TeacherLost(self._teacher_lost(subcommand, err)) from None
        except Exception as err:
            fault = storage_error(err)
            if fault is not None:
                raise StorageLost(self._storage_lost(fault)) from None
            if not isinstance(err, RuntimeError):
                raise
            report = explain(self.trainer, err)
            if report is not None:
                raise report from None
            raise

    def _storage_lost(self, fault: StorageError) -> str:
        checkpoint = self.trainer.checkpoint_callback
        last = Path(getattr(checkpoint, "dirpath", None) or ".") / "last.ckpt"
        if last.is_file():
            return (
                f"{fault}; the previous checkpoint {last} is whole. Free space (or fix the folder), then "
                "resume: the same command with --ckpt_path last"
            )
        return f"{fault}; no checkpoint had been written. Free space (or fix the folder) and rerun"

    def _preempted(self, subcommand: str) -> str:
        saved = (
            getattr(self.trainer.checkpoint_callback, "last_model_path", "") if subcommand == "fit" else ""
        )
        where = f"after step {self.trainer.current_epoch}" if subcommand == "fit" else "during " + subcommand
        if saved:
            return (
                f"stopped by SIGTERM {where}; checkpoint {saved}. Resume: the same command with "
                "--ckpt_path last"
            )
        return f"stopped by SIGTERM {where}; no checkpoint was written"

    def _teacher_lost(self, subcommand: str, err: TeacherUnavailable) -> str:
        saved = self.teacher_fault.saved
        if saved is None and subcommand == "fit":
            saved = getattr(self.trainer.checkpoint_callback, "last_model_path", "") or None
        where = f"in step {self.trainer.current_epoch + 1}" if subcommand == "fit" else "during " + subcommand
        if saved:
            return (
                f"{err} {where}; checkpoint {saved}. Start the teacher again, then resume: the same "
                "command with --ckpt_path last"
            )
        return f"{err} {where}; no checkpoint was written. Start the teacher again and rerun"

    @staticmethod
    def subcommands() -> dict[str, set[str]]:
        return {k: v for k, v in LightningCLI.subcommands().items() if k != "predict"}


# ---------------------------------------------------------------------------------------------
# Checks that run before anything is instantiated
# ---------------------------------------------------------------------------------------------


def check_config_files(argv: list[str]) -> None:
    """Parse each ``--config`` file's YAML first, so a syntax error names the file and the line."""
    paths = []
    for i, arg in enumerate(argv):
        if arg in ("--config", "-c") and i + 1 < len(argv):
            paths.append(argv[i + 1])
        elif arg.startswith("--config="):
            paths.append(arg.split("=", 1)[1])
    for path in paths:
        if not os.path.isfile(path):
            continue  # jsonargparse reports a missing file, naming it
        try:
            with open(path, encoding="utf-8") as f:
                yaml.safe_load(f)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            problem = getattr(err, "problem", None) or str(err).splitlines()[0]
            raise ConfigError(f"config file {path}: YAML syntax error{where}: {problem}") from None
        except (OSError, UnicodeDecodeError) as err:
            raise ConfigError(f"config file {path} cannot be read: {err}") from None


def read_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Load a checkpoint the way the trainer will (weights only), or ConfigError naming the fix."""
    p = Path(path)
    fix = "give a .ckpt written by `tcod-pl fit` (e.g. <run>/checkpoints/last.ckpt) or `--ckpt_path last`"
    if not p.is_file():
        raise ConfigError(f"ckpt_path '{path}' does not exist or is not a file: {fix}")
    if p.stat().st_size == 0:
        raise ConfigError(f"ckpt_path '{path}' is empty (0 bytes; an interrupted copy?): {fix}")
    try:
        with warnings.catch_warnings():  # the safe unpickler warns about foreign pickle protocols
            warnings.simplefilter("ignore")
            checkpoint = torch.load(p, map_location="cpu", weights_only=True, mmap=zipfile.is_zipfile(p))
    except Exception as err:  # torch raises several types for a bad file; all mean "not usable"
        text = str(err)
        if "GLOBAL" in text:  # the safe unpickler met a reference to code
            reason = (
                "it refers to Python code, which tcod-pl does not unpickle (torch.load weights_only=True)"
            )
        elif "Unsupported operand" in text or "invalid load key" in text:
            reason = "not a file written by torch.save"
        else:
            reason = text.strip().splitlines()[0] if text.strip() else type(err).__name__
        raise ConfigError(f"ckpt_path '{path}' is not a usable checkpoint ({reason}): {fix}") from None
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise ConfigError(f"ckpt_path '{path}' is not a Lightning checkpoint (no state_dict): {fix}")
    return checkpoint


def _logger_roots(config: Namespace) -> list[tuple[Namespace, Path]]:
    """(logger config, run root = save_dir/name) for each configured logger with a ``save_dir``."""
    loggers = config.get("trainer.logger")
    if isinstance(loggers, Namespace):
        loggers = [loggers]
    if not isinstance(loggers, list):
        return []
    out = []
    for logger in loggers:
        args = logger.get("init_args") if isinstance(logger, Namespace) else None
        if isinstance(args, Namespace) and args.get("save_dir"):
            out.append((logger, Path(args.save_dir).expanduser() / (args.get("name") or "")))
    return out


def _resolve_last(config: Namespace, reopen_run: bool) -> None:
    """``--ckpt_path last``: the newest ``last.ckpt`` of this run name across logger versions.

    For ``fit`` the logger reopens that version folder, so the resumed run logs into the same
    TensorBoard run and keeps checkpointing there. Nothing found: Lightning's "last" (a warning and
    a fresh start), so the same command starts and resumes a run.
    """
    if config.get("checkpoint.dirpath"):  # a fixed checkpoint folder: Lightning's own "last" finds it
        return
    roots = _logger_roots(config)
    if not roots:
        return
    logger, root = roots[0]
    found = find_last_checkpoint(root)
    if found is None:
        return
    ckpt, folder = found
    config["ckpt_path"] = str(ckpt)
    if reopen_run and logger.init_args.get("version") is None:
        logger.init_args["version"] = version_value(folder)
    print(f"note: --ckpt_path last: resuming from {ckpt}", file=sys.stderr)


def _check_writable_dirs(config: Namespace) -> None:
    """Log and checkpoint folders must be creatable and writable: say so now, not mid-run."""
    targets = [("trainer.logger.init_args.save_dir", root) for _, root in _logger_roots(config)]
    if config.get("trainer.default_root_dir"):
        targets.append(("trainer.default_root_dir", Path(config.trainer.default_root_dir).expanduser()))
    if config.get("checkpoint.dirpath"):
        targets.append(("checkpoint.dirpath", Path(config.checkpoint.dirpath).expanduser()))
    for option, path in targets:
        existing = path
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise ConfigError(
                f"{option}: '{existing}' is a file, not a directory, so '{path}' cannot be created; "
                "choose another directory"
            )
        try:
            with tempfile.TemporaryFile(dir=existing):
                pass
        except OSError as err:
            raise ConfigError(
                f"{option}: cannot write in '{existing}' ({err.strerror}); choose a writable directory"
            ) from None


def _differences(hparams: dict[str, Any], model: Any, ckpt_path: str) -> list[str]:
    """Options whose value in the run differs from the checkpoint's: the run's value is used."""
    args = model.get("init_args") if isinstance(model, Namespace) else None
    if not isinstance(args, Namespace):
        return []
    lines = []
    for key, saved in hparams.items():
        if key.startswith("_") or key not in args:
            continue
        current = args[key]
        if isinstance(current, (Namespace, dict, list)) or isinstance(saved, (dict, list)):
            continue
        if str(current) != str(saved):
            lines.append(
                f"{ckpt_path} was written with model.init_args.{key}={saved!r}; this run uses "
                f"{current!r} (from the config or the command line)"
            )
    return lines


def _user_error(err: BaseException) -> ConfigError | EnvError | None:
    """The bad-input error at the root of an instantiation failure, if the project raised it.

    jsonargparse wraps an exception raised in a class's ``__init__`` in a long union-type report;
    a ValueError (or EnvError) raised by the project's own validation is the message to show.
    """
    root = err
    for _ in range(50):  # the chain is short; the bound guards against a cycle
        nxt = root.__cause__ or (None if root.__suppress_context__ else root.__context__)
        if nxt is None:
            break
        root = nxt
    if isinstance(root, (ConfigError, EnvError)):
        return root
    if isinstance(root, ValueError) and root.__traceback__ is not None:
        frame = traceback.extract_tb(root.__traceback__)[-1]
        if os.path.abspath(frame.filename).startswith(PROJECT_DIRS):
            return ConfigError(str(root))
    return None


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Known failures end in one ``error:`` line and their exit status, never a traceback."""
    try:
        yield
    except (ConfigError, EnvError) as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    except TrainingDiverged as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(1) from None
    except Preempted as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(SIGTERM_EXIT) from None
    except TeacherLost as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(TEACHER_LOST_EXIT) from None
    except StorageLost as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(STORAGE_EXIT) from None


def main(args: list[str] | None = None) -> None:
    quiet_known_noise()
    with one_line_errors():
        check_config_files(list(sys.argv[1:] if args is None else args))
        TcodCLI(args=args)


if __name__ == "__main__":
    main()
