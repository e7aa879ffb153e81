"""The error types the CLI reports as one line: bad user input, a diverged run."""

from __future__ import annotations


class ConfigError(ValueError):
    """Bad configuration or input. The CLI prints it as one line and exits with status 2."""

    # jsonargparse folds exceptions raised while instantiating classes into a long union-type
    # report; the CLI re-raises the most recent ConfigError instead.
    last: ConfigError | None = None

    def __init__(self, message: str):
        super().__init__(message)
        ConfigError.last = self


class TrainingDiverged(RuntimeError):
    """The loss, a gradient or the model's outputs stopped being finite. The CLI prints one line, exit 1."""


class TeacherUnavailable(RuntimeError):
    """A served teacher stopped answering after its retries. The CLI checkpoints, prints one line, exit 3."""
