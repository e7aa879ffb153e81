"""Write tcod_pl/envs/scienceworld_variations.json: each task's variation count and train/dev/test ids.

Enumerating the splits needs a JVM (the engine computes them per loaded task), so the table is
generated once and shipped. Ids are stored as [start, stop) ranges. Run:

    python scripts/make_scienceworld_variations.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import scienceworld

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from tcod_pl.envs.scienceworld import (  # noqa: E402
    SPLITS,
    VARIATIONS_PATH,
    query_variations,
    start_jvm,
    stop_jvm,
    task_names,
)


def to_ranges(ids: list[int]) -> list[list[int]]:
    """Sorted ids -> [start, stop) ranges."""
    ranges: list[list[int]] = []
    for v in sorted(ids):
        if ranges and ranges[-1][1] == v:
            ranges[-1][1] = v + 1
        else:
            ranges.append([v, v + 1])
    return ranges


def main() -> None:
    sw = start_jvm()
    try:
        tasks = {}
        for name in task_names():
            t = query_variations(sw, name)
            tasks[name] = {"num_variations": t["num_variations"], **{s: to_ranges(t[s]) for s in SPLITS}}
            print(name, t["num_variations"], *(len(t[s]) for s in SPLITS))
    finally:
        stop_jvm(sw)
    payload = {"scienceworld_version": scienceworld.__version__, "tasks": tasks}
    # One line per task keeps the file short and diffable.
    lines = [f"  {json.dumps(n)}: {json.dumps(t)}" for n, t in tasks.items()]
    text = f'{{\n "scienceworld_version": {json.dumps(payload["scienceworld_version"])},\n "tasks": {{\n'
    VARIATIONS_PATH.write_text(text + ",\n".join(lines) + "\n }\n}\n")
    assert json.loads(VARIATIONS_PATH.read_text()) == payload
    print("wrote", VARIATIONS_PATH, "total variations", sum(t["num_variations"] for t in tasks.values()))


if __name__ == "__main__":
    main()
