"""One DepthRule per mode: what each replays and how long the student plays; a new mode plugs in."""

import pytest

from tcod_pl.curriculum import B2F, F2B, RULES, Curriculum, DepthRule, Expert, Full, Linear, make_rule


@pytest.mark.parametrize("expert_len", [None, 0, 3, 12, 40])
@pytest.mark.parametrize("depth", [1, 4, 30])
def test_rules_follow_the_method_definitions(depth, expert_len):
    max_turns = 30
    f2b, b2f = F2B(depth, max_turns), B2F(depth, max_turns)
    assert f2b.replay_length(expert_len) == 0 and f2b.student_budget(0) == min(depth, max_turns)
    replay = 0 if expert_len is None else min(max(0, expert_len - depth), max_turns)  # max(0, L - k)
    assert b2f.replay_length(expert_len) == replay
    assert b2f.student_budget(replay) == max_turns - replay  # until done or T_max turns in all
    full, expert = Full(max_turns=max_turns), Expert(max_turns=max_turns)
    assert full.replay_length(expert_len) == 0 and full.student_budget(0) == max_turns
    assert expert.replay_length(expert_len) == (expert_len or 0) and expert.student_budget(5) == 0
    assert expert.supervises_replay and not b2f.supervises_replay
    assert b2f.needs_expert and not f2b.needs_expert


def test_depth_none_is_full_episodes_and_bad_input_is_clear():
    assert make_rule("b2f", None, 7) == Full(max_turns=7)
    assert make_rule("f2b", 3, 7) == F2B(3, 7)
    with pytest.raises(ValueError, match="rollout mode must be one of"):
        make_rule("backward", 2, 7)
    with pytest.raises(ValueError, match="needs depth >= 1"):
        F2B(0, 7)
    with pytest.raises(ValueError, match="max_turns must be >= 1"):
        Full(max_turns=0)


def test_a_new_mode_is_one_subclass():
    class Middle(DepthRule):
        """Replay half of the expert's actions, then play k turns."""

        name = "middle-test"

        def replay_length(self, expert_len):
            return (expert_len or 0) // 2

        def student_budget(self, replayed):
            return min(self.depth, self.max_turns - replayed)

    try:
        curriculum = Curriculum(Linear(k_start=2, eta=100), mode="middle-test")
        rule = curriculum.rule(max_turns=10)
        assert isinstance(rule, Middle) and rule.depth == 2
        assert rule.replay_length(9) == 4 and rule.student_budget(4) == 2
    finally:
        del RULES["middle-test"]
