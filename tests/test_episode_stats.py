"""Response statistics of episodes: the degenerate student of issue 10, in miniature."""

import math

import pytest

from tcod_pl.data.episode import Episode, Turn
from tcod_pl.data.episode_stats import ResponseStats, listed_objects, names_object
from tcod_pl.rollout.prompting import parse_action

# A toy vocabulary: id -> text, as a tokenizer would decode one id.
VOCAB = {
    0: "<action>",
    1: "go",
    2: " to",
    3: " kitchen",
    4: " ",
    5: "  ",
    6: "</action>",
    7: "\n",
    8: "focus",
}
OBJECTS = (
    "Observation: You are in the hallway.\nAvailable actions: Objects: kitchen, door to kitchen, red box"
)


def turn(ids, observation=OBJECTS, score=0.0):
    text = "".join(VOCAB[i] for i in ids)
    return Turn(
        observation,
        text,
        response_ids=ids,
        logprobs=[0.0] * len(ids),
        score=score,
        action=parse_action(text)[0],
    )


def test_listed_objects_and_whole_word_match():
    assert listed_objects(OBJECTS) == ["kitchen", "door to kitchen", "red box"]
    assert listed_objects("Observation: nothing listed") == []
    assert names_object("go to  Kitchen", ["kitchen"])  # case and spacing ignored
    assert not names_object("go to kitchenette", ["kitchen"])  # whole words only
    assert not names_object("go to", ["kitchen", "red box"])


def test_degenerate_episode_against_hand_counts():
    stats = ResponseStats(VOCAB.__getitem__)
    episode = Episode(
        task={},
        turns=[
            turn([0, 1, 2, 3, 6], score=25.0),  # go to kitchen: copies, no blank token
            turn([0, 1, 2, 4, 4, 5, 6], score=10.0),  # go to + 3 blank tokens (2 repeats): empty name
            turn([0, 4, 4, 6]),  # nothing but blanks: empty action
            # a replayed expert turn (text only): not the student's, not counted
            Turn(OBJECTS, "<action>go to kitchen</action>", action="go to kitchen"),
        ],
    )
    got = stats(episode)
    assert got["empty_action_rate"] == pytest.approx(1 / 3)
    assert got["whitespace_token_rate"] == pytest.approx(5 / 16)  # 0 + 3 + 2 blank of 5 + 7 + 4 tokens
    assert got["repeat_token_rate"] == pytest.approx(2 / 16)  # one (4, 4) pair in each blank run
    assert got["copy_rate"] == pytest.approx(1 / 3)


def test_nothing_to_measure_is_nan_not_zero():
    stats = ResponseStats(VOCAB.__getitem__)
    replay_only = Episode(task={}, turns=[Turn(OBJECTS, "<action>look</action>", action="look")])
    got = stats(replay_only)
    assert all(math.isnan(got[k]) for k in ("empty_action_rate", "whitespace_token_rate", "copy_rate"))
    no_objects = stats(Episode(task={}, turns=[turn([0, 1, 2, 3, 6], observation="Observation: a room")]))
    assert math.isnan(no_objects["copy_rate"]) and no_objects["empty_action_rate"] == 0.0
