from tcod_pl.envs.base import TaskSpec, interleave_by_name


def test_interleave_by_name_is_round_robin_and_stable():
    tasks = [TaskSpec("e", "a", 0), TaskSpec("e", "a", 1), TaskSpec("e", "a", 2), TaskSpec("e", "b", 5)]
    order = [(t.name, t.variation) for t in interleave_by_name(tasks)]
    assert order == [("a", 0), ("b", 5), ("a", 1), ("a", 2)]
    assert interleave_by_name([]) == []
