"""scripts/teacher_on_actions.py: where an action's verb ends among its tokens, and pooling rare verbs."""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from pathlib import Path

from transformers import AutoTokenizer

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "teacher_on_actions.py"
TEACHER = Path(__file__).resolve().parents[1] / "tcod_pl" / "assets" / "scienceworld" / "teacher"


def load_script():
    spec = importlib.util.spec_from_file_location("teacher_on_actions", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_verb_ends_at_the_token_that_completes_the_first_word_of_the_action():
    script = load_script()
    tokenizer = AutoTokenizer.from_pretrained(TEACHER)
    response = "<action>move egg parrot in inventory to red box</action>"
    pieces = [tokenizer.decode([i]) for i in tokenizer(response)["input_ids"]]
    cut = script.verb_end(pieces, "move")
    assert "".join(pieces[:cut]).replace("<action>", "").strip() == "move"
    assert "".join(pieces[cut:]).startswith(" egg")
    # the verb is the action's first word as written: "moveegg" ends only where "egg" has come
    assert script.verb_end(["<action>", "mo", "ve", "egg", " parrot"], "moveegg") == 4
    assert script.verb_end(["<action>", "mo", "ve", " egg"], "move") == 3
    assert script.verb_end(["go", " to"], "") == 0


def test_rare_verbs_are_pooled_per_family_with_their_rejections():
    script = load_script()
    found = defaultdict(lambda: defaultdict(list))
    rejected = defaultdict(int)
    for verb, n, bad in (("go", 3, 1), ("moveegg", 1, 1), ("g", 1, 1)):
        found["find", verb]["turn"] += [(-1.0, -0.5)] * n
        rejected["find", verb] = bad
    pooled, pooled_rejected = script.pool_rare(found, rejected, min_turns=2)
    assert sorted(pooled) == [("find", "(other)"), ("find", "go")]
    assert len(pooled["find", "(other)"]["turn"]) == 2 and pooled_rejected["find", "(other)"] == 2
    assert len(pooled["find", "go"]["turn"]) == 3 and pooled_rejected["find", "go"] == 1
