import math

import pytest

from tcod_pl.curriculum.schedules import Adaptive, Constant, Linear, Step

NAN = math.nan


# ----- Linear: k = min(k_start + floor(n / eta), max_depth) ----------------------------------------
@pytest.mark.parametrize(
    "k_start, eta, max_depth, expected",
    [
        (1, 2, 30, [1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7]),
        (1, 4, 30, [1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4]),
        (1, 2, 4, [1, 2, 2, 3, 3, 4, 4, 4, 4, 4, 4, 4]),
        (1, 4, 2, [1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2]),
        (3, 6, 30, [3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 5]),
    ],
)
def test_linear_matches_the_papers_formula(k_start, eta, max_depth, expected):
    schedule = Linear(k_start=k_start, eta=eta, max_depth=max_depth)
    assert [schedule.depth(n) for n in range(1, 13)] == expected


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"eta": 0}, "eta"),
        ({"eta": -2}, "eta"),
        ({"k_start": 0}, "k_start"),
        ({"k_start": 5, "max_depth": 4}, "max_depth"),
    ],
)
def test_linear_rejects_invalid_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Linear(**kwargs)


def test_steps_start_at_one():
    with pytest.raises(ValueError, match="start at 1"):
        Linear().depth(0)


# ----- Constant ------------------------------------------------------------------------------------
def test_constant_default_is_full_episodes():
    assert [Constant().depth(n) for n in (1, 5, 100)] == [None, None, None]
    assert [Constant(30).depth(n) for n in (1, 5, 100)] == [30, 30, 30]
    with pytest.raises(ValueError, match="depth must be >= 1"):
        Constant(0)


# ----- Step ----------------------------------------------------------------------------------------
def test_step_schedule_from_mapping_and_pairs():
    for milestones in ({1: 2, 4: 5, 7: 3}, [[1, 2], [4, 5], [7, 3]]):
        schedule = Step(milestones)
        assert [schedule.depth(n) for n in range(1, 10)] == [2, 2, 2, 5, 5, 5, 3, 3, 3]


@pytest.mark.parametrize(
    "milestones, message",
    [
        ({}, "empty"),
        ({2: 3}, "step 1"),
        ([[1, 2], [5, 3], [4, 4]], "increase strictly"),
        ({1: 0}, "depths must be >= 1"),
        ([[1, 2, 3]], r"\[step, depth\]"),
    ],
)
def test_step_rejects_invalid_milestones(milestones, message):
    with pytest.raises(ValueError, match=message):
        Step(milestones)


# ----- Adaptive ------------------------------------------------------------------------------------
def per_turn(depth: int, frontier: float, width: int = 40) -> list[float]:
    """F2B-shaped statistics: turns 0..depth-1 have data (KL 1.0, frontier turn `frontier`)."""
    return [1.0] * (depth - 1) + [frontier] + [NAN] * (width - depth)


def drive(schedule: Adaptive, frontier_kl, steps: int) -> list[int]:
    """Depth used at each step 1..steps; `frontier_kl(step, depth)` gives the frontier turn's KL."""
    depths = []
    for n in range(1, steps + 1):
        k = schedule.depth(n)
        depths.append(k)
        kl = per_turn(k, frontier_kl(n, k))
        schedule.update(n, kl, [0.0] * len(kl))
    return depths


def test_adaptive_holds_while_kl_escalates():
    schedule = Adaptive(k_start=2, max_depth=10, band=0.1, ema=0.5, min_dwell=2)
    depths = drive(schedule, lambda n, k: 1.5**n, steps=12)
    assert depths == [2] * 12
    assert schedule.last_decision == "hold"


def test_adaptive_grows_with_stable_kl_respecting_dwell_and_ceiling():
    schedule = Adaptive(k_start=1, max_depth=4, band=0.1, min_dwell=2)
    # Each depth: one step sets the baseline, the second (stable) step grows it.
    assert drive(schedule, lambda n, k: 2.0, steps=10) == [1, 1, 2, 2, 3, 3, 4, 4, 4, 4]
    assert schedule.last_decision == "at ceiling"

    slow = Adaptive(k_start=1, max_depth=30, band=0.1, min_dwell=3)
    assert drive(slow, lambda n, k: 2.0, steps=7) == [1, 1, 1, 2, 2, 2, 3]


def test_adaptive_resumes_growth_once_kl_settles():
    schedule = Adaptive(k_start=1, max_depth=10, band=0.1, ema=0.0, min_dwell=2)
    # KL escalates on steps 1..5, then plateaus: depth holds, then grows.
    depths = drive(schedule, lambda n, k: float(2**n) if n <= 5 else 32.0, steps=9)
    assert depths[:6] == [1] * 6
    assert depths[6:] == [2, 2, 3]


def test_adaptive_backs_off_to_the_floor():
    schedule = Adaptive(k_start=4, min_depth=3, max_depth=10, band=0.1, min_dwell=2, backoff=True)
    assert drive(schedule, lambda n, k: 1.5**n, steps=8) == [4, 4, 3, 3, 3, 3, 3, 3]


def test_adaptive_support_signal_and_missing_data():
    schedule = Adaptive(k_start=1, max_depth=10, signal="support", min_dwell=2)
    for n in range(1, 5):  # rising KL but steady support: support drives, so it grows
        schedule.update(n, [float(n * 10)], [0.2])
    assert schedule.depth(5) == 3
    schedule.update(5, [NAN, NAN], [NAN, NAN])  # no data: nothing changes
    assert schedule.depth(6) == 3 and schedule.last_decision == "no data"


def test_adaptive_frontier_is_the_deepest_turns_with_data():
    schedule = Adaptive(frontier_turns=2)
    assert schedule.frontier_signal([1.0, 2.0, 4.0, NAN], []) == 3.0
    assert schedule.frontier_signal([NAN, 5.0, NAN], []) == 5.0
    assert schedule.frontier_signal([], []) is None


def test_adaptive_ignores_repeated_steps():
    schedule = Adaptive(k_start=1, min_dwell=2)
    for _ in range(5):
        schedule.update(1, [1.0], [0.0])
    assert schedule.depth(2) == 1 and schedule.steps_at_depth == 1


def test_adaptive_state_dict_round_trip():
    def frontier(n, k):
        return [1.0, 1.05, 3.0, 3.1, 3.0, 2.9, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0][n - 1]

    full = Adaptive(k_start=1, max_depth=6, min_dwell=2)
    expected = drive(full, frontier, steps=12)

    first = Adaptive(k_start=1, max_depth=6, min_dwell=2)
    head = drive(first, frontier, steps=5)
    resumed = Adaptive(k_start=1, max_depth=6, min_dwell=2)
    resumed.load_state_dict(first.state_dict())
    assert resumed.state_dict() == first.state_dict()
    tail = []
    for n in range(6, 13):
        k = resumed.depth(n)
        tail.append(k)
        resumed.update(n, per_turn(k, frontier(n, k)), [0.0] * 40)
    assert head + tail == expected


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"k_start": 0}, "min_depth <= k_start"),
        ({"k_start": 5, "max_depth": 4}, "min_depth <= k_start <= max_depth"),
        ({"min_depth": 0}, "min_depth must be >= 1"),
        ({"ema": 1.0}, "ema"),
        ({"band": -0.1}, "band"),
        ({"min_dwell": 0}, "min_dwell"),
        ({"signal": "reward"}, "signal must be one of"),
        ({"frontier_turns": 0}, "frontier_turns"),
    ],
)
def test_adaptive_rejects_invalid_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Adaptive(**kwargs)
