"""EnvPool: parallel ScienceWorld episodes, crash/timeout recovery, no orphans (real JVMs)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tcod_pl.envs import (
    EnvConfig,
    EnvError,
    EnvFailure,
    EnvPool,
    ResetResult,
    ScienceWorldConfig,
    StepResult,
    TaskSpec,
    TextEnv,
)

TASKS = [
    TaskSpec("scienceworld", "find-living-thing", 5),
    TaskSpec("scienceworld", "find-non-living-thing", 7),
]


# -- a toy env whose steps can sleep, crash or raise (for timeout / crash tests without a JVM) --------


class SleepyEnv(TextEnv):
    def reset(self, task: TaskSpec) -> ResetResult:
        return ResetResult(observation=f"start {task.name}", task_description="say anything")

    def step(self, action: str) -> StepResult:
        if action.startswith("sleep "):
            time.sleep(float(action.split()[1]))
        elif action == "exit":
            os._exit(3)
        elif action == "raise":
            raise RuntimeError("engine broke")
        elif action == "bad":
            raise EnvError("bad input")
        return StepResult(observation=f"echo {action}", reward=0.0, done=False)


class SleepyConfig(EnvConfig):
    name = "sleepy"

    def make(self) -> TextEnv:
        return SleepyEnv()

    def tasks(self, split: str) -> list[TaskSpec]:
        return [TaskSpec("sleepy", "t", 0, split)]


class BrokenConfig(SleepyConfig):
    def make(self) -> TextEnv:
        raise EnvError("no Java here; install Java 17")


# -- process helpers -------------------------------------------------------------------------------


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in process group ``pgid``."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state != "Z":
            members.append(int(stat.parent.name))
    return members


def jvm_pid(worker_pid: int) -> int:
    """The JVM child of a worker (same process group, not the worker itself)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        others = [p for p in group_members(worker_pid) if p != worker_pid]
        if others:
            return others[0]
        time.sleep(0.1)
    raise AssertionError(f"no JVM found for worker {worker_pid}")


def replay(pool: EnvPool, golds: list[list[str]]) -> list[StepResult | EnvFailure]:
    """Step every worker through its gold path in lock-step; the last result per worker."""
    last: list[StepResult | EnvFailure] = [EnvFailure("no steps", w) for w in range(len(golds))]
    active = set(range(len(golds)))
    for i in range(max(len(g) for g in golds)):
        reqs = [(w, golds[w][i]) for w in sorted(active) if i < len(golds[w])]
        if not reqs:
            break
        for (w, _), r in zip(reqs, pool.step(reqs)):
            last[w] = r
            if isinstance(r, EnvFailure) or r.done:
                active.discard(w)
    return last


# -- ScienceWorld pool ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sw_pool() -> Iterator[EnvPool]:
    pool = EnvPool(ScienceWorldConfig(), num_workers=2, step_timeout=60, reset_timeout=120)
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def golds(sw_pool: EnvPool) -> list[list[str]]:
    out = sw_pool.expert_actions(TASKS)
    assert all(out), out
    return out  # type: ignore[return-value]


def test_gold_replay_in_parallel(sw_pool: EnvPool, golds: list[list[str]]) -> None:
    assert sw_pool.size == 2 and len(set(sw_pool.worker_pids())) == 2
    resets = sw_pool.reset(list(enumerate(TASKS)))
    assert all(isinstance(r, ResetResult) for r in resets), resets
    hints = sw_pool.action_hints([0, 1])
    assert all(isinstance(h, str) and h.startswith("Actions:") for h in hints)
    for r in replay(sw_pool, golds):
        assert isinstance(r, StepResult) and r.success and r.score == 100.0, r


def test_bad_task_is_a_failure_not_a_restart(sw_pool: EnvPool) -> None:
    pids = sw_pool.worker_pids()
    [r] = sw_pool.reset([(1, TaskSpec("scienceworld", "find-unicorn"))])
    assert isinstance(r, EnvFailure) and r.worker == 1 and "find-living-thing" in r.error
    assert sw_pool.worker_pids() == pids


def test_killed_worker_fails_episode_then_recovers(sw_pool: EnvPool, golds: list[list[str]]) -> None:
    sw_pool.reset(list(enumerate(TASKS)))
    old = sw_pool.worker_pids()
    old_jvm = jvm_pid(old[0])
    os.kill(old[0], signal.SIGKILL)
    r0, r1 = sw_pool.step([(0, golds[0][0]), (1, golds[1][0])])
    assert isinstance(r0, EnvFailure) and r0.worker == 0 and "died" in r0.error, r0
    assert isinstance(r1, StepResult)  # the other episode goes on
    new = sw_pool.worker_pids()
    assert new[0] != old[0] and new[1] == old[1]
    assert not group_members(old[0]) and old_jvm not in group_members(old[0])  # the JVM went too
    [reset] = sw_pool.reset([(0, TASKS[0])])
    assert isinstance(reset, ResetResult)
    [last] = replay(sw_pool, [golds[0]])
    assert isinstance(last, StepResult) and last.success


def test_killed_jvm_fails_episode_then_recovers(sw_pool: EnvPool, golds: list[list[str]]) -> None:
    sw_pool.reset([(1, TASKS[1])])
    worker = sw_pool.worker_pids()[1]
    os.kill(jvm_pid(worker), signal.SIGKILL)
    [r] = sw_pool.step([(1, golds[1][0])])
    assert isinstance(r, EnvFailure) and r.worker == 1, r
    assert sw_pool.worker_pids()[1] != worker
    assert not group_members(worker)
    [reset] = sw_pool.reset([(1, TASKS[1])])
    assert isinstance(reset, ResetResult)


def test_close_leaves_no_processes() -> None:
    pool = EnvPool(ScienceWorldConfig(), num_workers=2)
    workers = pool.worker_pids()
    jvms = [jvm_pid(w) for w in workers]
    pool.reset([(0, TASKS[0])])
    pool.close()
    for pid in workers + jvms:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    assert not any(group_members(w) for w in workers)


class JVMDiesOnFirstStart(ScienceWorldConfig):
    """The real adapter, whose first JVM (only) is killed while the worker builds its env."""

    def __init__(self, marker: str):
        super().__init__()
        self.marker = marker

    def make(self) -> TextEnv:
        env = super().make()
        if not os.path.exists(self.marker):
            Path(self.marker).write_text(str(env.jvm_pid))
            os.kill(env.jvm_pid, signal.SIGKILL)
            env._sw._gateway.java_process.wait()
            env.reset(TASKS[0])  # the JVM is gone: raises, as a JVM crashing during start-up would
        return env


def test_jvm_dying_at_start_up_is_retried(tmp_path: Path) -> None:
    marker = tmp_path / "first-jvm"
    with EnvPool(JVMDiesOnFirstStart(str(marker)), num_workers=1, reset_timeout=120) as pool:
        first_jvm = int(marker.read_text())
        assert not Path(f"/proc/{first_jvm}").exists() or "Z" in Path(f"/proc/{first_jvm}/stat").read_text()
        [worker] = pool.worker_pids()
        assert jvm_pid(worker) != first_jvm
        [reset] = pool.reset([(0, TASKS[0])])
        assert isinstance(reset, ResetResult), reset
    assert not group_members(worker)


class ExitsAtStart(SleepyConfig):
    def __init__(self, log: str):
        self.log = log

    def make(self) -> TextEnv:
        with open(self.log, "a") as f:
            f.write(f"{os.getpid()}\n")
        os._exit(3)


def test_start_up_failures_exhaust_the_retries(tmp_path: Path) -> None:
    log = tmp_path / "starts"
    with pytest.raises(EnvError, match="worker 0 failed to start: .*exit code 3"):
        EnvPool(ExitsAtStart(str(log)), num_workers=1, start_retries=2)
    assert len(set(log.read_text().split())) == 3  # the first try and two retries, each a new process


class SetupErrorAtStart(ExitsAtStart):
    def make(self) -> TextEnv:
        with open(self.log, "a") as f:
            f.write(f"{os.getpid()}\n")
        raise EnvError("no Java here; install Java 17")


def test_setup_error_is_not_retried(tmp_path: Path) -> None:
    log = tmp_path / "starts"
    with pytest.raises(EnvError, match="install Java 17"):
        EnvPool(SetupErrorAtStart(str(log)), num_workers=1, start_retries=5)
    assert len(log.read_text().split()) == 1  # the same error on every try: reported at once


# -- timeouts, crashes, in-process mode (toy env) ----------------------------------------------------


def test_step_timeout_kills_and_restarts() -> None:
    with EnvPool(SleepyConfig(), num_workers=2, step_timeout=1.0) as pool:
        task = SleepyConfig().tasks("train")[0]
        pool.reset([(0, task), (1, task)])
        old = pool.worker_pids()
        t = time.monotonic()
        r0, r1 = pool.step([(0, "sleep 30"), (1, "hello")])
        assert time.monotonic() - t < 10
        assert isinstance(r0, EnvFailure) and "timed out" in r0.error, r0
        assert isinstance(r1, StepResult) and r1.observation == "echo hello"
        assert pool.worker_pids()[0] != old[0] and not group_members(old[0])
        [reset] = pool.reset([(0, task)])
        assert isinstance(reset, ResetResult) and reset.observation == "start t"


def test_crash_and_exception_are_failures() -> None:
    with EnvPool(SleepyConfig(), num_workers=2, step_timeout=10.0) as pool:
        old = pool.worker_pids()
        r0, r1 = pool.step([(0, "exit"), (1, "raise")])
        assert isinstance(r0, EnvFailure) and "died" in r0.error
        assert isinstance(r1, EnvFailure) and "engine broke" in r1.error
        assert not set(pool.worker_pids()) & set(old)
        [bad] = pool.step([(0, "bad")])
        assert isinstance(bad, EnvFailure) and bad.error == "EnvError: bad input"
        assert [r.observation for r in pool.step([(0, "a"), (1, "b")])] == ["echo a", "echo b"]
        with pytest.raises(ValueError, match="one request per worker"):
            pool.step([(0, "a"), (0, "b")])


def test_start_failure_is_one_clear_error() -> None:
    with pytest.raises(EnvError, match="install Java 17"):
        EnvPool(BrokenConfig(), num_workers=2)


def test_in_process_mode() -> None:
    with EnvPool(SleepyConfig(), num_workers=0) as pool:
        assert pool.size == 1 and pool.worker_pids() == []
        [r] = pool.step([(0, "x")])
        assert isinstance(r, StepResult)
        [f] = pool.step([(0, "raise")])
        assert isinstance(f, EnvFailure) and "engine broke" in f.error
        [r] = pool.step([(0, "y")])  # rebuilt
        assert isinstance(r, StepResult) and r.observation == "echo y"
