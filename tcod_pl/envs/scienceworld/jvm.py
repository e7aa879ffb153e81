"""The ScienceWorld JVM: finding Java, starting one JVM (heap capped), stopping it for good."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Iterator
from typing import Any

from tcod_pl.envs.base import EnvError

JAVA_MISSING = (
    "ScienceWorld needs Java 17, and no `java` was found (JAVA_HOME/bin/java or PATH). "
    "Install Java 17 (e.g. `apt-get install openjdk-17-jre-headless`, `conda install openjdk=17`) "
    "or set JAVA_HOME to a Java 17 installation."
)


# ---------------------------------------------------------------------------------------------
# JVM lifecycle
# ---------------------------------------------------------------------------------------------


def find_java() -> str:
    """Path of the ``java`` the JVM will run with, or EnvError naming the fix."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and os.access(os.path.join(java_home, "bin", "java"), os.X_OK):
        return os.path.join(java_home, "bin", "java")
    java = shutil.which("java")
    if java is None:
        raise EnvError(JAVA_MISSING)
    return java


@contextlib.contextmanager
def _jvm_environment(java: str, jvm_heap: str | None) -> Iterator[None]:
    """Temporarily set what the JVM inherits: the heap cap and a PATH whose first ``java`` is ours.

    The package offers no ``javaopts``; the JVM reads ``JAVA_TOOL_OPTIONS`` at start-up, and py4j
    runs plain ``java`` from PATH (it ignores JAVA_HOME when a path is given).
    """
    saved = {k: os.environ.get(k) for k in ("JAVA_TOOL_OPTIONS", "PATH")}
    try:
        if jvm_heap:
            opts = [o for o in (saved["JAVA_TOOL_OPTIONS"] or "").split() if not o.startswith("-Xmx")]
            os.environ["JAVA_TOOL_OPTIONS"] = " ".join([*opts, f"-Xmx{jvm_heap}"])
        os.environ["PATH"] = os.pathsep.join([os.path.dirname(java), saved["PATH"] or ""])
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def start_jvm(jvm_heap: str | None = "768m", env_step_limit: int = 100) -> Any:
    """Start one JVM and return the package's ``ScienceWorldEnv`` wrapping it (no task loaded)."""
    java = find_java()
    from scienceworld import ScienceWorldEnv as _PackageEnv

    py4j_log = logging.getLogger("py4j")
    if py4j_log.level == logging.NOTSET:
        # py4j logs a traceback for every call once the JVM is gone; the adapter raises instead.
        py4j_log.setLevel(logging.CRITICAL)
    with _jvm_environment(java, jvm_heap):
        try:
            return _PackageEnv("", envStepLimit=env_step_limit)
        except FileNotFoundError as e:
            raise EnvError(f"{JAVA_MISSING} ({e})") from e


def stop_jvm(sw: Any, timeout: float = 10.0) -> None:
    """Shut the gateway down and make sure the JVM process is gone."""
    proc = getattr(sw._gateway, "java_process", None)
    with contextlib.suppress(Exception):
        sw.close()
    if proc is not None:
        try:
            proc.wait(timeout)
        except Exception:
            proc.kill()
            with contextlib.suppress(Exception):
                proc.wait(timeout)
    # The package's __del__ calls close() again; make that a no-op on a dead gateway.
    sw.close = lambda: None
