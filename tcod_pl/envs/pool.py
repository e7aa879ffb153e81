"""EnvPool: N worker processes, each owning one environment, stepped in parallel.

Requests to different workers are sent first and collected afterwards, so they run concurrently.
A worker that dies, breaks its environment or misses a timeout is killed with its whole process
group (each worker calls ``setsid``, so its JVM or other children share its group) and restarted;
that request comes back as :class:`EnvFailure` and the next request on the worker works.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from tcod_pl.envs.base import EnvConfig, EnvError, ResetResult, StepResult, TaskSpec, TextEnv

_CTX = mp.get_context("spawn")  # fork would copy the parent's threads, CUDA state and JVM sockets


@dataclass
class EnvFailure:
    """A request that did not complete: why, and on which worker."""

    error: str
    worker: int


# ---------------------------------------------------------------------------------------------
# Worker side
# ---------------------------------------------------------------------------------------------


def _run(env: TextEnv, cmd: str, arg: Any) -> Any:
    if cmd == "reset":
        return env.reset(arg)
    if cmd == "step":
        return env.step(arg)
    if cmd == "hints":
        return env.action_hints()
    if cmd == "expert":
        return env.expert_actions(arg)
    raise ValueError(f"unknown command {cmd!r}")


def _worker_main(config: EnvConfig, conn: Connection) -> None:
    """Build one env, then answer (cmd, arg) requests until told to close or the pipe closes."""
    os.setsid()  # own process group: the pool kills the group, children (the JVM) included
    try:
        env = config.make()
    except EnvError as e:  # a set-up error (bad config, no Java): the same on every try
        conn.send(("setup_error", f"{type(e).__name__}: {e}"))
        return
    except BaseException as e:  # may be transient (e.g. the JVM died while starting): the parent retries
        conn.send(("init_error", f"{type(e).__name__}: {e}"))
        return
    conn.send(("ready", os.getpid()))
    try:
        while True:
            try:
                cmd, arg = conn.recv()
            except (EOFError, OSError):  # the parent is gone
                break
            if cmd == "close":
                break
            try:
                conn.send(("ok", _run(env, cmd, arg)))
            except EnvError as e:  # bad input; the env is still healthy
                conn.send(("error", f"EnvError: {e}"))
            except Exception as e:  # the env may be broken (e.g. its JVM died): ask for a restart
                conn.send(("fatal", f"{type(e).__name__} in {cmd}: {e}"))
                return
    finally:
        with contextlib.suppress(Exception):
            env.close()


# ---------------------------------------------------------------------------------------------
# Parent side
# ---------------------------------------------------------------------------------------------


@dataclass
class _Worker:
    process: Any  # multiprocessing Process (spawn context)
    conn: Connection
    starting: bool = True  # "ready" not yet received


def _group_alive(pgid: int) -> bool:
    """Whether any live process is left in group ``pgid`` (zombies awaiting their reaper do not count)."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: a zombie reads as alive here
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _kill(worker: _Worker, wait: float = 5.0) -> None:
    """SIGKILL the worker's process group (worker + JVM), reap the worker, wait for the group to go."""
    pid = worker.process.pid
    if pid is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)  # in case it died before setsid
    worker.process.join(wait)
    with contextlib.suppress(Exception):
        worker.conn.close()
    # SIGKILL is asynchronous: wait until the JVM has really exited, so its memory is free and
    # callers can rely on "restarted" meaning "the old processes are gone".
    deadline = time.monotonic() + wait
    while pid is not None and _group_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)


def _shutdown(workers: list[_Worker | None], grace: float = 10.0) -> None:
    """Ask every worker to close its env, wait a little, then kill what is left (groups included)."""
    live = [w for w in workers if w is not None]
    for w in live:
        with contextlib.suppress(Exception):
            w.conn.send(("close", None))
    deadline = time.monotonic() + grace
    for w in live:
        w.process.join(max(0.0, deadline - time.monotonic()))
    for w in live:
        _kill(w)  # sweeps a JVM that outlived its worker
    workers[:] = [None] * len(workers)


class EnvPool:
    """``num_workers`` processes, each with one env from ``config.make()``; 0 = one env in-process.

    Every request names a worker index (0..size-1); at most one request per worker per call.
    Failures never raise: they come back as :class:`EnvFailure` in the request's slot.
    """

    def __init__(
        self,
        config: EnvConfig,
        num_workers: int = 2,
        step_timeout: float = 120.0,
        reset_timeout: float = 300.0,
        start_retries: int = 2,
    ):
        if num_workers < 0:
            raise ValueError("num_workers must be >= 0")
        if start_retries < 0:
            raise ValueError("start_retries must be >= 0")
        self.config = config
        self.num_workers = num_workers
        self.step_timeout = step_timeout
        self.reset_timeout = reset_timeout
        self.start_retries = start_retries
        self._workers: list[_Worker | None] = []
        self._local: TextEnv | None = None
        self._closed = False
        self._finalizer = weakref.finalize(self, _shutdown, self._workers)  # GC and interpreter exit
        if num_workers == 0:
            self._local = config.make()
            return
        self._workers.extend(self._spawn() for _ in range(num_workers))
        # Wait for every env to be built, so a broken setup (e.g. no Java) fails here, once. A worker
        # that dies or times out while starting is retried, as a mid-run failure would be.
        errors = [e for i in range(num_workers) if (e := self._start(i)) is not None]
        if errors:
            self.close()
            raise EnvError(f"EnvPool could not start its environments: {errors[0]}")

    # -- public API --------------------------------------------------------------------------

    @property
    def size(self) -> int:
        return max(1, self.num_workers)

    def reset(self, requests: Sequence[tuple[int, TaskSpec]]) -> list[ResetResult | EnvFailure]:
        return self._call([(w, "reset", t) for w, t in requests], self.reset_timeout)

    def step(self, requests: Sequence[tuple[int, str]]) -> list[StepResult | EnvFailure]:
        return self._call([(w, "step", a) for w, a in requests], self.step_timeout)

    def action_hints(self, workers: Sequence[int]) -> list[str | EnvFailure]:
        return self._call([(w, "hints", None) for w in workers], self.step_timeout)

    def expert_actions(self, tasks: Sequence[TaskSpec]) -> list[list[str] | None]:
        """Expert sequences of ``tasks`` (None where there is none or it failed), in order.

        Uses the workers' envs, so it ends the episodes running on them.
        """
        out: list[list[str] | None] = []
        for start in range(0, len(tasks), self.size):  # waves of one task per worker
            wave = tasks[start : start + self.size]
            results = self._call([(w, "expert", t) for w, t in enumerate(wave)], self.reset_timeout)
            out.extend(None if isinstance(r, EnvFailure) else r for r in results)
        return out

    def worker_pids(self) -> list[int]:
        """PIDs of the worker processes (empty in-process). Each is also its process group id."""
        return [w.process.pid for w in self._workers if w is not None]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._finalizer()
        if self._local is not None:
            with contextlib.suppress(Exception):
                self._local.close()
            self._local = None

    def __enter__(self) -> EnvPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------

    def _spawn(self) -> _Worker:
        parent, child = _CTX.Pipe()
        process = _CTX.Process(target=_worker_main, args=(self.config, child), daemon=True)
        process.start()
        child.close()  # so a dead worker reads as EOF here
        return _Worker(process, parent)

    def _restart(self, i: int) -> None:
        old = self._workers[i]
        if old is not None:
            _kill(old)
        self._workers[i] = self._spawn()  # builds its env in the background; _call waits for "ready"

    def _recv(self, i: int, deadline: float, what: str) -> tuple[str, Any]:
        """One message from worker ``i`` by ``deadline``: ("ok"|"error"|..., payload) or ("failed", reason)."""
        w = self._workers[i]
        assert w is not None
        try:
            if not w.conn.poll(max(0.0, deadline - time.monotonic())):
                return "failed", f"timed out during {what}"
            return w.conn.recv()
        except (EOFError, OSError) as e:
            w.process.join(1)
            return "failed", f"worker process died during {what} (exit code {w.process.exitcode}, {e!r})"

    def _ready(self, i: int) -> tuple[str, Any]:
        """Consume worker ``i``'s start-up message: ("ready", pid) or (kind of failure, reason)."""
        kind, payload = self._recv(i, time.monotonic() + self.reset_timeout, "start-up")
        w = self._workers[i]
        assert w is not None
        w.starting = False
        return kind, payload

    def _start(self, i: int) -> str | None:
        """Wait for worker ``i`` to come up, respawning it up to ``start_retries`` times.

        A set-up error (EnvError in ``config.make()``) is not retried: it would fail the same way.
        """
        for attempt in range(self.start_retries + 1):
            if attempt:
                self._workers[i] = self._spawn()
            kind, payload = self._ready(i)
            if kind == "ready":
                return None
            w = self._workers[i]
            assert w is not None
            _kill(w)
            if kind == "setup_error":
                break
        return f"worker {i} failed to start: {payload}"

    def _await_ready(self, i: int) -> str | None:
        """Consume a restarted worker's start-up message; an error string if it did not come up."""
        kind, payload = self._ready(i)
        if kind == "ready":
            return None
        self._restart(i)  # a fresh try on the next request
        return f"worker {i} failed to start: {payload}"

    def _call(self, calls: list[tuple[int, str, Any]], timeout: float) -> list[Any]:
        if self._closed:
            raise RuntimeError("EnvPool is closed")
        indices = [w for w, _, _ in calls]
        if len(set(indices)) != len(indices):
            raise ValueError(f"at most one request per worker per call, got workers {indices}")
        for w in indices:
            if not 0 <= w < self.size:
                raise IndexError(f"worker {w} out of range (pool size {self.size})")
        if self.num_workers == 0:
            return [self._call_local(w, cmd, arg) for w, cmd, arg in calls]

        results: list[Any] = [None] * len(calls)
        sent: list[int] = []
        for k, (w, cmd, arg) in enumerate(calls):
            worker = self._workers[w]
            assert worker is not None
            try:
                worker.conn.send((cmd, arg))
                sent.append(k)
            except (OSError, ValueError) as e:  # BrokenPipe: the worker is already dead
                results[k] = self._fail(w, f"worker process died before {cmd} ({e!r})")
        start = time.monotonic()
        for k in sent:
            w, cmd, _ = calls[k]
            worker = self._workers[w]
            assert worker is not None
            if worker.starting:  # restarted earlier: it answers "ready" first
                error = self._await_ready(w)
                if error is not None:
                    results[k] = EnvFailure(error, w)
                    continue
                start_k = time.monotonic()
            else:
                start_k = start
            kind, payload = self._recv(w, start_k + timeout, cmd)
            if kind == "ok":
                results[k] = payload
            elif kind == "error":
                results[k] = EnvFailure(payload, w)
            elif kind == "failed" and "timed out" in payload:
                results[k] = self._fail(w, f"{payload} (limit {timeout:g}s)")
            else:
                results[k] = self._fail(w, payload)
        return results

    def _fail(self, i: int, reason: str) -> EnvFailure:
        self._restart(i)
        return EnvFailure(f"worker {i}: {reason}; worker restarted", i)

    def _call_local(self, w: int, cmd: str, arg: Any) -> Any:
        """In-process mode: no timeouts; a broken env is rebuilt before the next request."""
        try:
            if self._local is None:
                self._local = self.config.make()
            return _run(self._local, cmd, arg)
        except EnvError as e:
            return EnvFailure(f"EnvError: {e}", w)
        except Exception as e:
            broken, self._local = self._local, None
            if broken is not None:
                with contextlib.suppress(Exception):
                    broken.close()
            return EnvFailure(f"{type(e).__name__}: {e}", w)
