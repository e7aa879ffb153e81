"""Environment benchmarks, measured side by side in one run (needs Java 17; CPU only).

    python benchmarks/bench_envs.py [--episodes 12] [--warmup 2] [--fresh 3]

(a) ScienceWorld step latency: the adapter's step vs the package's ``env.step`` (which lists every
    valid action-object combination), same JVM, same gold actions. Target: adapter median <= 30 ms.
(b) Episodes per minute replaying gold actions: EnvPool(2 workers) vs one env in series. Target >= 1.4x.
(c) Episode start cost: ``reset`` on a reused JVM vs a fresh env (new JVM) per episode.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from tcod_pl.envs import EnvFailure, EnvPool, ScienceWorldConfig, ScienceWorldEnv, StepResult, TaskSpec  # noqa: E402

# Gold paths of 10-30 actions from several task types (train variations).
TASK_TYPES = [
    "find-living-thing",
    "chemistry-mix",
    "use-thermometer",
    "power-component",
    "chemistry-mix-paint-secondary-color",
    "measure-melting-point-known-substance",
]


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def cpu_check(n: int = 5_000_000) -> float:
    """How much parallelism the machine gives right now (other load on a shared box skews (b))."""
    t = time.perf_counter()
    _burn(n)
    _burn(n)
    serial = time.perf_counter() - t
    with mp.get_context("spawn").Pool(2) as pool:
        pool.map(_burn, [1000, 1000])  # start-up outside the timing
        t = time.perf_counter()
        pool.map(_burn, [n, n])
        parallel = time.perf_counter() - t
    load = os.getloadavg()[0]
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load:.2f}; two CPU-bound processes run "
        f"{serial / parallel:.2f}x faster than in series (2.0 = two free cores)"
    )
    return serial / parallel


def p90(xs: list[float]) -> float:
    return sorted(xs)[int(0.9 * (len(xs) - 1))]


def ms(x: float) -> str:
    return f"{1000 * x:7.1f} ms"


def episode_tasks(n: int) -> list[TaskSpec]:
    cfg = ScienceWorldConfig(
        task_names=TASK_TYPES, max_variations_per_task=(n + len(TASK_TYPES) - 1) // len(TASK_TYPES)
    )
    by_type = [[t for t in cfg.tasks("train") if t.name == name] for name in TASK_TYPES]
    mixed = [t for group in zip(*by_type) for t in group]  # interleave types so both arms see the same mix
    return mixed[:n]


def run_episode(env: ScienceWorldEnv, task: TaskSpec, gold: list[str]) -> bool:
    env.reset(task)
    for action in gold:
        r = env.step(action)
        if r.done:
            return r.success
    return False


def bench_step_latency(env: ScienceWorldEnv, tasks: list[TaskSpec], golds: list[list[str]]) -> None:
    ours: list[float] = []
    package: list[float] = []
    for task, gold in zip(tasks, golds):  # alternate the two arms episode by episode
        env.reset(task)
        for action in gold:
            t = time.perf_counter()
            r = env.step(action)
            ours.append(time.perf_counter() - t)
            if r.done:
                break
        env._sw.load(task.name, task.variation, env.simplification)  # the package's own path
        for action in gold:
            t = time.perf_counter()
            _, _, done, _ = env._sw.step(action)
            package.append(time.perf_counter() - t)
            if done:
                break
    print(f"(a) step latency over {len(ours)} / {len(package)} steps")
    print(f"    adapter step        median {ms(statistics.median(ours))}   p90 {ms(p90(ours))}")
    print(f"    package env.step    median {ms(statistics.median(package))}   p90 {ms(p90(package))}")
    ratio = statistics.median(package) / statistics.median(ours)
    verdict = "ok" if statistics.median(ours) <= 0.030 else "MISSED"
    print(f"    package/adapter median ratio {ratio:.1f}x   (target adapter median <= 30 ms: {verdict})")


def bench_pool(tasks: list[TaskSpec], golds: list[list[str]], machine: float, warmup: int) -> None:
    # Both arms start fresh JVMs and replay every episode `warmup` times untimed: a new JVM's first
    # episodes run slow (class loading, JIT), which would otherwise dominate the comparison.
    env = ScienceWorldEnv()
    try:
        for _ in range(warmup):
            for task, gold in zip(tasks, golds):
                run_episode(env, task, gold)
        t = time.perf_counter()
        serial_ok = sum(run_episode(env, task, gold) for task, gold in zip(tasks, golds))
        serial = time.perf_counter() - t
    finally:
        env.close()

    with EnvPool(ScienceWorldConfig(), num_workers=2) as pool:
        for _ in range(warmup):
            run_pool_episodes(pool, tasks, golds)
        t = time.perf_counter()
        pool_ok = run_pool_episodes(pool, tasks, golds)
        parallel = time.perf_counter() - t

    n = len(tasks)
    print(f"(b) episodes/minute replaying gold actions ({n} episodes, after {warmup} untimed warm-up passes)")
    print(f"    one env in series   {60 * n / serial:7.1f} ep/min  ({serial:.1f} s, {serial_ok}/{n} solved)")
    print(
        f"    EnvPool, 2 workers  {60 * n / parallel:7.1f} ep/min  ({parallel:.1f} s, {pool_ok}/{n} solved)"
    )
    speedup = serial / parallel
    print(f"    speed-up {speedup:.2f}x   (target >= 1.4x: {'ok' if speedup >= 1.4 else 'MISSED'})")
    if machine < 1.8:
        print(
            f"    note: the machine gave only {machine:.2f}x to plain CPU-bound work in this run (busy box)"
        )


def run_pool_episodes(pool: EnvPool, tasks: list[TaskSpec], golds: list[list[str]]) -> int:
    """Each worker runs its own episode; a finished worker takes the next task (as a rollout would)."""
    queue = list(range(len(tasks)))
    current: dict[int, tuple[int, int]] = {}  # worker -> (episode, next action index)
    solved = 0
    while queue or current:
        idle = [w for w in range(pool.size) if w not in current and queue]
        starts = [(w, queue.pop(0)) for w in idle]
        if starts:
            pool.reset([(w, tasks[e]) for w, e in starts])
            current.update((w, (e, 0)) for w, e in starts)
        reqs = [(w, golds[e][i]) for w, (e, i) in sorted(current.items())]
        for (w, _), r in zip(reqs, pool.step(reqs)):
            e, i = current[w]
            if isinstance(r, EnvFailure) or r.done or i + 1 >= len(golds[e]):
                solved += isinstance(r, StepResult) and r.success
                del current[w]
            else:
                current[w] = (e, i + 1)
    return solved


def bench_start(env: ScienceWorldEnv, tasks: list[TaskSpec], fresh: int) -> None:
    reused = []
    for task in tasks:
        t = time.perf_counter()
        env.reset(task)
        reused.append(time.perf_counter() - t)
    new = []
    for task in tasks[:fresh]:
        t = time.perf_counter()
        e = ScienceWorldEnv()
        e.reset(task)
        new.append(time.perf_counter() - t)
        e.close()
    r, f = statistics.median(reused), statistics.median(new)
    print("(c) episode start cost")
    print(f"    reset on reused JVM   median {ms(r)}  ({len(reused)} episodes)")
    print(f"    fresh env per episode median {ms(f)}  ({len(new)} episodes)")
    print(f"    fresh/reused ratio {f / r:.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--episodes", type=int, default=12, help="episodes for (a) and (b)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed passes per arm before (b)")
    ap.add_argument("--fresh", type=int, default=3, help="fresh-JVM episodes for (c)")
    args = ap.parse_args()

    machine = cpu_check()
    tasks = episode_tasks(args.episodes)
    env = ScienceWorldEnv()
    try:
        golds = [env.expert_actions(t) or [] for t in tasks]  # gold generation is not timed
        print(
            f"tasks: {len(tasks)} episodes over {len(TASK_TYPES)} task types, "
            f"{sum(map(len, golds))} gold actions"
        )
        bench_step_latency(env, tasks, golds)
        bench_pool(tasks, golds, machine, args.warmup)
        bench_start(env, tasks, args.fresh)
    finally:
        env.close()


if __name__ == "__main__":
    main()
