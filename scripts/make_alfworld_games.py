"""Build tcod-pl's own small ALFWorld game set (official ALFWORLD_DATA layout).

Two stages:

* ``--write-sources``: write each game's ``initial_state.pddl`` + ``traj_data.json`` from the
  scene specs below (the project's hand-written games; no ALFRED/AI2-THOR data involved).
* default: build ``game.tw-pddl`` next to every ``traj_data.json`` with alfworld's own
  ``alfworld-generate`` (domain + grammar from the installed alfworld package; the
  hand-coded expert records the walkthrough and checks that each game is solvable).

Usage::

    python scripts/make_alfworld_games.py [--write-sources] [--out tcod_pl/envs/alfworld_games]

Needs the ``alfworld`` extra (``pip install tcod-pl[alfworld]``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "tcod_pl" / "envs" / "alfworld_games"
# Fixed seed: alfworld-generate picks the goal template with the global `random`, and the
# hand-coded expert breaks ties with it too; seeding makes regeneration reproducible.
SEED = 20240229

# Receptacle classes that open/close (alfworld.gen.constants.OPENABLE_CLASS_LIST).
OPENABLE = {"Fridge", "Cabinet", "Microwave", "Drawer", "Safe", "Box"}
# Types the domain names as constants in action preconditions: FD needs them declared.
DOMAIN_RTYPES = {"SinkBasin", "Microwave", "Fridge"}
DOMAIN_OTYPES = {"Knife", "ButterKnife"}
# alfworld 0.4.2's hand-coded expert tracks its inventory by "put" commands, but the grammar says
# "move ... to ...": after the first placement it only wanders, so pick-two games record the
# planner's (Fast Downward) plan instead.
PLANNER_TASKS = {"pick_two_obj_and_place"}

# Rooms: receptacle class -> count. Kept to ALFRED-like sizes so that a random policy is lost.
# fmt: off
ROOMS: dict[str, dict[str, int]] = {
    "kitchen_a": {
        "CounterTop": 2, "Cabinet": 4, "Drawer": 2, "Fridge": 1, "Microwave": 1, "SinkBasin": 1,
        "StoveBurner": 2, "DiningTable": 1, "GarbageCan": 1, "CoffeeMachine": 1, "Toaster": 1, "Shelf": 1,
    },
    "kitchen_b": {
        "CounterTop": 3, "Cabinet": 3, "Drawer": 3, "Fridge": 1, "Microwave": 1, "SinkBasin": 1,
        "StoveBurner": 4, "DiningTable": 1, "GarbageCan": 1, "CoffeeMachine": 1,
    },
    "living_a": {
        "Sofa": 1, "ArmChair": 1, "CoffeeTable": 1, "SideTable": 2, "Drawer": 3, "Dresser": 1,
        "GarbageCan": 1, "Shelf": 2, "TVStand": 1,
    },
    "bedroom_a": {
        "Bed": 1, "Desk": 1, "SideTable": 2, "Drawer": 4, "Dresser": 1, "Shelf": 2, "GarbageCan": 1, "Safe": 1,
    },
    "bedroom_b": {"Bed": 1, "Desk": 1, "SideTable": 1, "Drawer": 3, "Dresser": 1, "Shelf": 1, "GarbageCan": 1},
    "bathroom_a": {
        "Toilet": 1, "SinkBasin": 1, "Cabinet": 3, "CounterTop": 1, "Drawer": 2, "TowelHolder": 1,
        "HandTowelHolder": 1, "GarbageCan": 1,
    },
}
ROOM_SCENE = {"kitchen_a": 901, "kitchen_b": 902, "living_a": 911, "bedroom_a": 921, "bedroom_b": 922,
              "bathroom_a": 931}
# fmt: on


@dataclass
class GameSpec:
    split: str
    trial: str
    task_type: str
    room: str
    obj: str
    parent: str = ""  # receptacle class of the goal ("" for look_at_obj_in_light)
    toggle: str = ""  # lamp class for look_at_obj_in_light
    objects: list[tuple[str, str]] = field(default_factory=list)  # (object class, "Receptacle N")
    desc: str = ""  # our own human-style annotation

    @property
    def task_dir(self) -> str:
        return f"{self.task_type}-{self.obj}-None-{self.parent or self.toggle}-{ROOM_SCENE[self.room]}"


GAMES: list[GameSpec] = [
    # ---- train: one game per ALFWorld task type
    GameSpec("train", "trial_tcod_0001", "pick_and_place_simple", "living_a", "CellPhone", parent="Sofa",
             objects=[("CellPhone", "SideTable 2"), ("KeyChain", "CoffeeTable 1"), ("Book", "SideTable 1"),
                      ("CreditCard", "Drawer 1"), ("Statue", "Shelf 1"), ("Vase", "Shelf 2"),
                      ("Newspaper", "ArmChair 1"), ("RemoteControl", "TVStand 1")],
             desc="Put the phone on the couch."),
    GameSpec("train", "trial_tcod_0002", "look_at_obj_in_light", "bedroom_a", "AlarmClock", toggle="DeskLamp",
             objects=[("AlarmClock", "Shelf 2"), ("DeskLamp", "SideTable 1"), ("Book", "Bed 1"),
                      ("CellPhone", "Desk 1"), ("Pen", "Drawer 1"), ("CD", "Desk 1"), ("Pillow", "Bed 1"),
                      ("KeyChain", "Drawer 3")],
             desc="Look at the alarm clock under the desk lamp."),
    GameSpec("train", "trial_tcod_0003", "pick_clean_then_place_in_recep", "kitchen_a", "Plate", parent="Cabinet",
             objects=[("Plate", "Shelf 1"), ("Apple", "CounterTop 1"), ("Mug", "CoffeeMachine 1"),
                      ("Bread", "CounterTop 2"), ("Fork", "Drawer 1"), ("Knife", "CounterTop 1"),
                      ("Pan", "StoveBurner 1"), ("Egg", "Fridge 1")],
             desc="Rinse the plate and put it away in a cabinet."),
    GameSpec("train", "trial_tcod_0004", "pick_heat_then_place_in_recep", "kitchen_a", "Potato",
             parent="DiningTable",
             objects=[("Potato", "Fridge 1"), ("Tomato", "CounterTop 2"), ("Mug", "Cabinet 2"),
                      ("Bread", "DiningTable 1"), ("Spoon", "Drawer 2"), ("Pot", "StoveBurner 2"),
                      ("Lettuce", "CounterTop 1"), ("Cup", "Shelf 1")],
             desc="Warm up the potato and set it on the table."),
    GameSpec("train", "trial_tcod_0005", "pick_cool_then_place_in_recep", "kitchen_a", "Lettuce",
             parent="CounterTop",
             objects=[("Lettuce", "DiningTable 1"), ("Apple", "Microwave 1"), ("Egg", "CounterTop 1"),
                      ("Plate", "Cabinet 1"), ("Knife", "Drawer 1"), ("Kettle", "StoveBurner 1"),
                      ("Bowl", "Shelf 1"), ("WineBottle", "Fridge 1")],
             desc="Chill the lettuce and leave it on the counter."),
    GameSpec("train", "trial_tcod_0006", "pick_two_obj_and_place", "bedroom_a", "CD", parent="Safe",
             objects=[("CD", "SideTable 2"), ("CD", "SideTable 2"), ("Book", "Desk 1"), ("Pencil", "Drawer 2"),
                      ("CellPhone", "Bed 1"), ("AlarmClock", "Dresser 1"), ("DeskLamp", "SideTable 1"),
                      ("Watch", "Shelf 1")],
             desc="Lock both discs in the safe."),
    # ---- valid_seen: rooms seen in train, new tasks
    GameSpec("valid_seen", "trial_tcod_0101", "pick_and_place_simple", "kitchen_a", "Mug", parent="CoffeeMachine",
             objects=[("Mug", "Microwave 1"), ("Cup", "CounterTop 1"), ("Apple", "DiningTable 1"),
                      ("Bread", "CounterTop 2"), ("Spatula", "Drawer 2"), ("Pan", "StoveBurner 2"),
                      ("Tomato", "Fridge 1"), ("Bowl", "Shelf 1")],
             desc="Put a mug under the coffee machine."),
    GameSpec("valid_seen", "trial_tcod_0102", "pick_heat_then_place_in_recep", "kitchen_a", "Apple",
             parent="CounterTop",
             objects=[("Apple", "Fridge 1"), ("Egg", "DiningTable 1"), ("Potato", "CounterTop 1"),
                      ("Mug", "Cabinet 4"), ("Fork", "Drawer 1"), ("Pot", "StoveBurner 1"),
                      ("Plate", "Shelf 1"), ("Bread", "Toaster 1")],
             desc="Heat an apple and put it on the counter."),
    GameSpec("valid_seen", "trial_tcod_0103", "look_at_obj_in_light", "living_a", "Statue", toggle="DeskLamp",
             objects=[("Statue", "Shelf 1"), ("DeskLamp", "SideTable 2"), ("Vase", "Shelf 2"),
                      ("KeyChain", "Drawer 2"), ("RemoteControl", "Sofa 1"), ("Book", "CoffeeTable 1"),
                      ("Newspaper", "ArmChair 1"), ("CreditCard", "Dresser 1")],
             desc="Examine the statue by the light of the desk lamp."),
    # ---- valid_unseen: rooms never seen in train
    GameSpec("valid_unseen", "trial_tcod_0201", "pick_clean_then_place_in_recep", "bathroom_a", "SoapBar",
             parent="Cabinet",
             objects=[("SoapBar", "Toilet 1"), ("SprayBottle", "CounterTop 1"), ("ToiletPaper", "Cabinet 2"),
                      ("Cloth", "Drawer 1"), ("HandTowel", "HandTowelHolder 1"), ("Candle", "CounterTop 1"),
                      ("SoapBottle", "Cabinet 3"), ("TissueBox", "Drawer 2")],
             desc="Wash the soap and put it in the cabinet."),
    GameSpec("valid_unseen", "trial_tcod_0202", "pick_cool_then_place_in_recep", "kitchen_b", "Tomato",
             parent="Microwave",
             objects=[("Tomato", "CounterTop 3"), ("Potato", "DiningTable 1"), ("Egg", "Fridge 1"),
                      ("Mug", "Cabinet 1"), ("Ladle", "Drawer 3"), ("Pan", "StoveBurner 3"),
                      ("Bowl", "CounterTop 1"), ("Apple", "GarbageCan 1")],
             desc="Cool a tomato, then put it in the microwave."),
    GameSpec("valid_unseen", "trial_tcod_0203", "pick_two_obj_and_place", "bedroom_b", "Book", parent="Bed",
             objects=[("Book", "Shelf 1"), ("Book", "Shelf 1"), ("Laptop", "Desk 1"), ("Pen", "Drawer 1"),
                      ("CellPhone", "SideTable 1"), ("AlarmClock", "Dresser 1"), ("Pillow", "Bed 1"),
                      ("CD", "Drawer 3")],
             desc="Put two books on the bed."),
]  # fmt: skip


def mangle(name: str) -> str:
    """ALFRED object id -> PDDL identifier (same rules as alfworld's ``fix_pddl_str_chars``)."""
    for a, b in (("-", "_minus_"), ("|", "_bar_"), ("+", "_plus_"), (".", "_dot_"), (",", "_comma_")):
        name = name.replace(a, b)
    return name


def _entity_id(cls: str, k: int) -> str:
    """ALFRED ids are ``Class|x|y|z``; a short unique suffix keeps our files small.

    alfworld's demangler numbers same-class entities in *descending* id order, so the suffix
    counts down: the spec's "Drawer 2" is then "drawer 2" in the game text. Sink basins must be
    ``Sink|...|SinkBasin`` as in ALFRED, which the demangler relies on.
    """
    if cls == "SinkBasin":
        return f"Sink|{99 - k:02d}|SinkBasin"
    return f"{cls}|{99 - k:02d}"


def problem_pddl(game: GameSpec) -> str:
    """The game's initial state + goal as a PDDL problem for alfworld's ``alfred`` domain."""
    import alfworld.gen.constants as C
    import alfworld.gen.goal_library as glib

    receps: dict[str, tuple[str, str, str]] = {}  # "Cabinet 2" -> (id, class, location)
    for k, (cls, n) in enumerate(
        (c, n) for c, count in ROOMS[game.room].items() for n in range(1, count + 1)
    ):
        receps[f"{cls} {n}"] = (mangle(_entity_id(cls, k)), cls, mangle(f"loc|{k + 1}"))
    start = mangle("loc|0")
    objs: list[tuple[str, str, str]] = []  # (id, class, receptacle key)
    for k, (cls, where) in enumerate(game.objects):
        if where not in receps:
            raise ValueError(f"{game.trial}: no receptacle {where!r} in room {game.room}")
        objs.append((mangle(_entity_id(cls, 50 + k)), cls, where))

    otypes = sorted({c for _, c, _ in objs} | DOMAIN_OTYPES)
    rtypes = sorted({c for _, c, _ in receps.values()} | DOMAIN_RTYPES)
    decl = ["agent1 - agent"]
    decl += [f"{o} - object" for o, _, _ in objs]
    decl += [f"{r} - receptacle" for r, _, _ in receps.values()]
    decl += [f"{loc} - location" for loc in [start] + [loc for _, _, loc in receps.values()]]
    decl += [f"{t}Type - otype" for t in otypes] + [f"{t}Type - rtype" for t in rtypes]

    act = C.VAL_ACTION_OBJECTS
    init = [f"(atLocation agent1 {start})"]
    for rid, cls, loc in receps.values():
        init += [f"(receptacleType {rid} {cls}Type)", f"(receptacleAtLocation {rid} {loc})"]
        if cls in OPENABLE:
            init.append(f"(openable {rid})")
    for oid, cls, where in objs:
        rid, _, loc = receps[where]
        init += [
            f"(objectType {oid} {cls}Type)",
            f"(inReceptacle {oid} {rid})",
            f"(objectAtLocation {oid} {loc})",
        ]
        if cls in act["Toggleable"]:
            init.append(f"(toggleable {oid})")  # lamps stay put, as in ALFRED
        else:
            init.append(f"(pickupable {oid})")
        for prop, key in (("cleanable", "Cleanable"), ("heatable", "Heatable"), ("coolable", "Coolable"),
                          ("sliceable", "Sliceable")):  # fmt: skip
            if cls in act[key]:
                init.append(f"({prop} {oid})")
        if cls in C.MOVABLE_RECEPTACLES_SET:
            init.append(f"(isReceptacleObject {oid})")
    for rt in rtypes:
        for ot in otypes:
            if ot in C.VAL_RECEPTACLE_OBJECTS.get(rt, ()):
                init.append(f"(canContain {rt}Type {ot}Type)")

    goal = glib.gdict[game.task_type]["pddl"].replace("#", "-")
    goal = goal.format(obj=game.obj, recep=game.parent, toggle=game.toggle, mrecep="")
    lines = [f"(define (problem plan_{game.trial})", "    (:domain alfred)", "    (:objects"]
    lines += (
        [f"        {d}" for d in decl] + ["    )", "    (:init"] + [f"        {f}" for f in init] + ["    )"]
    )
    return "\n".join(lines) + "\n" + goal.strip("\n") + "\n"


def traj_data(game: GameSpec) -> dict:
    """The few ``traj_data.json`` fields alfworld reads (task type, targets, annotations)."""
    return {
        "task_id": game.trial,
        "task_type": game.task_type,
        "pddl_params": {
            "object_target": game.obj,
            "parent_target": game.parent,
            "toggle_target": game.toggle,
            "mrecep_target": "",
            "object_sliced": False,
        },
        "scene": {"floor_plan": f"tcod_{game.room}", "scene_num": ROOM_SCENE[game.room]},
        "turk_annotations": {"anns": [{"task_desc": game.desc, "high_descs": [], "votes": [1, 1, 1]}]},
        "source": "hand-written for tcod-pl by scripts/make_alfworld_games.py (not from ALFRED)",
    }


def write_sources(out: Path) -> None:
    for game in GAMES:
        d = out / "json_2.1.1" / game.split / game.task_dir / game.trial
        d.mkdir(parents=True, exist_ok=True)
        (d / "initial_state.pddl").write_text(problem_pddl(game))
        (d / "traj_data.json").write_text(json.dumps(traj_data(game), indent=2) + "\n")


def _generate(script: str, data: Path, save: Path, expert: str) -> None:
    """One ``alfworld-generate`` run (seeded, all games: its default ``--end -1`` drops the last one)."""
    from alfworld.info import ALFRED_PDDL_PATH, ALFRED_TWL2_PATH

    argv = [script, "--data_path", str(data), "--save_path", str(save), "--domain", ALFRED_PDDL_PATH,
            "--grammar", ALFRED_TWL2_PATH, "--expert_type", expert, "--end", "1000000"]  # fmt: skip
    code = f"import random, runpy, sys; random.seed({SEED}); sys.argv = {argv!r}; runpy.run_path({script!r}, run_name='__main__')"
    env = dict(os.environ, TQDM_DISABLE="1")  # no progress bars in logs
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def build_games(out: Path) -> None:
    """Build a fresh ``game.tw-pddl`` next to every ``traj_data.json`` under ``out``."""
    data = out / "json_2.1.1"
    script = shutil.which("alfworld-generate") or str(Path(sys.executable).parent / "alfworld-generate")
    n_bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        # Sort the sources by expert into scratch copies: generating in place makes the script ask
        # for confirmation, and it keeps (does not rebuild) game files that already exist.
        for traj in sorted(data.rglob("traj_data.json")):
            expert = "planner" if json.loads(traj.read_text())["task_type"] in PLANNER_TASKS else "handcoded"
            dst = Path(tmp, "src", expert) / traj.parent.relative_to(data)
            dst.mkdir(parents=True)
            for name in ("traj_data.json", "initial_state.pddl"):
                shutil.copy(traj.parent / name, dst / name)
        for expert_dir in sorted(Path(tmp, "src").iterdir()):
            save = Path(tmp, "out", expert_dir.name)
            _generate(script, expert_dir, save, expert_dir.name)
            for game_file in sorted(save.rglob("game.tw-pddl")):
                gamedata = json.loads(game_file.read_text())
                rel = game_file.relative_to(save)
                if not gamedata.get("solvable"):
                    n_bad += 1
                    print(f"UNSOLVABLE: {rel}", file=sys.stderr)
                gamedata["walkthrough_expert"] = expert_dir.name  # extra key; the engine ignores it
                # Compact JSON keeps the shipped files small.
                (data / rel).write_text(json.dumps(gamedata, separators=(",", ":")))
                print(f"{rel}: {len(gamedata.get('walkthrough') or [])} expert steps ({expert_dir.name})")
    if n_bad:
        raise SystemExit(f"{n_bad} game(s) are not solvable by the expert")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="ALFWORLD_DATA-style root to write into")
    ap.add_argument(
        "--write-sources", action="store_true", help="rewrite initial_state.pddl + traj_data.json"
    )
    args = ap.parse_args()
    os.environ.setdefault("ALFWORLD_DATA", str(args.out))  # keep alfworld from creating ~/.cache/alfworld
    if args.write_sources:
        write_sources(args.out)
    build_games(args.out)


if __name__ == "__main__":
    main()
