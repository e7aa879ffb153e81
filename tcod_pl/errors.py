"""The one error type for bad user input: its message names the fix."""

from __future__ import annotations


class ConfigError(Exception):
    """Bad configuration or input. The CLI prints it as one line and exits with status 2."""

    # jsonargparse folds exceptions raised while instantiating classes into a long union-type
    # report; the CLI re-raises the most recent ConfigError instead.
    last: ConfigError | None = None

    def __init__(self, message: str):
        super().__init__(message)
        ConfigError.last = self
