"""WebShop adapter tests: recorded WebShop text-mode pages replayed through the adapter.

The engine itself cannot be installed here; ``ReplayEngine`` plays back
``tests/fixtures/webshop/session_7.json`` (format and sources: that folder's README.md) with
the step semantics of ``WebAgentTextEnv.step``.
"""

from __future__ import annotations

import json
import pickle
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tcod_pl.envs.base import EnvError, TaskSpec
from tcod_pl.envs.webshop import (
    NormalisedAction,
    WebShopConfig,
    WebShopEnv,
    format_hints,
    load_demonstrations,
    normalise_action,
    parse_observation,
    parse_sessions,
)

FIXTURE = Path(__file__).parent / "fixtures" / "webshop" / "session_7.json"
DATA = json.loads(FIXTURE.read_text())
PAGES = DATA["pages"]
SESSION = 7


class ReplayEngine:
    """Plays back a recorded episode with ``WebAgentTextEnv.step``'s rules.

    Engine no-ops (a click on something not clickable, ``click[search]``, unparseable text)
    keep the page; any other action must be the next recorded one (else the test diverged).
    """

    def __init__(self, episode: str = "success"):
        self.episode = DATA["episodes"][episode]
        self.server = type("Server", (), {})()
        self.server.goals = [{"instruction_text": f"goal {i}"} for i in range(DATA["num_goals"])]
        self.server.goals[SESSION] = {"instruction_text": DATA["instruction"]}
        self.sent: list[str] = []
        self.closed = False

    def reset(self, session: int | None = None) -> tuple[str, None]:
        assert session == self.episode["session"]
        self.page, self.cursor = self.episode["reset_page"], 0
        return PAGES[self.page]["observation"], None

    def get_available_actions(self) -> dict[str, Any]:
        return json.loads(json.dumps(PAGES[self.page]["available_actions"]))

    def step(self, action: str) -> tuple[str, float, bool, None]:
        self.sent.append(action)
        m = re.match(r"(.+)\[(.+)\]", action)  # web_agent_site.engine.engine.parse_action
        name, arg = (m.group(1), m.group(2).lower()) if m else (action, None)
        clickable = arg in self.get_available_actions()["clickables"] and arg != "search"
        if not ((name == "search" and arg) or (name == "click" and clickable)):
            return PAGES[self.page]["observation"], 0.0, False, None
        step = self.episode["steps"][self.cursor]
        assert f"{name}[{arg}]" == step["action"].lower(), (
            f"replay diverged: {action!r} vs {step['action']!r}"
        )
        self.cursor += 1
        self.page = step["page"]
        return PAGES[self.page]["observation"], step["reward"], step["done"], None

    def close(self) -> None:
        self.closed = True


def replay_success(config: WebShopConfig) -> ReplayEngine:
    return ReplayEngine("success")


def replay_wrong_size(config: WebShopConfig) -> ReplayEngine:
    return ReplayEngine("wrong_size")


TASK = TaskSpec("webshop", "webshop", SESSION, "train")


def make_env(factory=replay_success, **kw: Any) -> WebShopEnv:
    return WebShopEnv(WebShopConfig(**kw), engine_factory=factory)


# ------------------------------------------------------------------------------ parsing


def test_parse_search_page():
    page = parse_observation(PAGES["search"]["observation"])
    assert page.kind == "search"
    assert page.instruction == DATA["instruction"]


def test_parse_results_page():
    rec = PAGES["results_1"]
    page = parse_observation(rec["observation"], rec["available_actions"]["clickables"])
    assert page.kind == "results" and page.instruction == DATA["instruction"]
    assert (page.page, page.total) == (1, 50)
    assert len(page.products) == 10
    first = page.products[0]
    assert (
        first.asin == "B08CR7X2PL"
        and first.title.startswith("Cocoa Ridge")
        and first.price == "$4.99 to $38.5"
    )
    page2 = parse_observation(PAGES["results_2"]["observation"])
    assert (page2.kind, page2.page, len(page2.products)) == ("results", 2, 2)


def test_parse_results_header_of_older_templates():
    obs = "Instruction: [SEP] x [SEP] Back to Search [SEP] Page 3 (21-30) of 50 total results [SEP] < Prev"
    page = parse_observation(obs)
    assert (page.kind, page.page, page.total) == ("results", 3, 50)


def test_parse_item_page_with_options():
    rec = PAGES["item"]
    page = parse_observation(rec["observation"], rec["available_actions"]["clickables"])
    assert page.kind == "item"
    assert page.title == "Cocoa Ridge Dark Chocolate Bar, Gluten Free, 70% Cacao, 3 Ounce"
    assert page.price == "$4.99 to $38.5" and page.rating == "N.A."
    assert page.options == {
        "size": ["3 ounce (pack of 1)", "3 ounce (pack of 6)", "3 ounce (pack of 12)"],
        "flavor name": ["extra dark", "sea salt"],
    }
    # Without the clickables, option names and values cannot be told apart in text mode.
    assert parse_observation(rec["observation"]).options == {}


def test_parse_item_sub_page_and_done_pages():
    assert parse_observation(PAGES["item_description"]["observation"]).kind == "item_sub"
    done = parse_observation(PAGES["done_success"]["observation"])
    assert done.kind == "done" and done.reward == 1.0
    assert done.purchased_asin == "B08CR7X2PL"
    assert done.purchased_options == {"flavor name": "extra dark", "size": "3 ounce (pack of 12)"}
    assert parse_observation(PAGES["done_wrong_size"]["observation"]).reward == 0.75


def test_parse_text_rich_pages():
    # convert_html_to_text(simple=False): one text node per line, buttons marked.
    search = f"WebShop\nInstruction: \n{DATA['instruction']}\n[button] Search [button_]\n"
    page = parse_observation(search)
    assert (page.kind, page.instruction) == ("search", DATA["instruction"])
    item = (
        "You have clicked 3 ounce (pack of 12).\nInstruction: \nfind chocolate\n"
        "[button] Back to Search [button_]\n[button] < Prev [button_]\nsize\n"
        "  [button] 3 ounce (pack of 1) [button_]\n  [clicked button] 3 ounce (pack of 12) [clicked button_]\n"
        "Choc Bar\nPrice: $4.99\nRating: N.A.\n[button] Description [button_]\n[button] Buy Now [button_]\n"
    )
    page = parse_observation(
        item,
        ["back to search", "< prev", "description", "buy now", "3 ounce (pack of 1)", "3 ounce (pack of 12)"],
    )
    assert page.kind == "item" and page.instruction == "find chocolate" and page.title == "Choc Bar"
    assert page.options == {"size": ["3 ounce (pack of 1)", "3 ounce (pack of 12)"]}
    assert page.selected == ["3 ounce (pack of 12)"]


# ---------------------------------------------------------------------- actions / hints


ITEM_AVAIL = PAGES["item"]["available_actions"]
SEARCH_AVAIL = PAGES["search"]["available_actions"]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("click[Buy Now]", "click[buy now]"),
        ("CLICK[buy now]", "click[buy now]"),
        ("click Buy Now", "click[buy now]"),
        ("click: 'Buy Now'.", "click[buy now]"),
        ("  click[3 ounce (pack of 12)]  ", "click[3 ounce (pack of 12)]"),
        ("click < Prev", "click[< prev]"),
        ("Click[Description]", "click[description]"),
    ],
)
def test_normalise_valid_clicks(raw, expected):
    assert normalise_action(raw, ITEM_AVAIL) == NormalisedAction(expected, True)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("search[Dark Chocolate]", "search[Dark Chocolate]"),
        ("Search dark chocolate 12 pack", "search[dark chocolate 12 pack]"),
    ],
)
def test_normalise_valid_search(raw, expected):
    norm = normalise_action(raw, SEARCH_AVAIL)
    assert (norm.action, norm.valid) == (expected, True)


@pytest.mark.parametrize(
    "raw, avail, action, reason",
    [
        ("click[Next >]", ITEM_AVAIL, "click[next >]", "not clickable"),
        ("search[chocolate]", ITEM_AVAIL, "search[chocolate]", "no search bar"),
        ("search[]", SEARCH_AVAIL, "search[]", "keywords"),
        ("click[Search]", SEARCH_AVAIL, "click[search]", "search["),
        ("buy the chocolate", ITEM_AVAIL, "buy the chocolate", "not a search"),
        ("clicking buy now", ITEM_AVAIL, "clicking buy now", "not a search"),
    ],
)
def test_normalise_invalid(raw, avail, action, reason):
    norm = normalise_action(raw, avail)
    assert not norm.valid and norm.action == action and reason in norm.reason


def test_format_hints():
    assert format_hints(SEARCH_AVAIL) == "Available actions:\nsearch[<keywords>]"
    hints = format_hints(ITEM_AVAIL).splitlines()
    assert hints[0] == "Available actions:" and "click[buy now]" in hints
    assert "click[3 ounce (pack of 12)]" in hints and not any(h.startswith("search") for h in hints)
    assert format_hints({"has_search_bar": False, "clickables": []}) == ""


# ------------------------------------------------------------------------- episodes


def test_full_recorded_episode_succeeds():
    env = make_env()
    reset = env.reset(TASK)
    assert reset.observation == PAGES["search"]["observation"]
    assert reset.task_description == DATA["instruction"]
    assert reset.hints == "Available actions:\nsearch[<keywords>]" == env.action_hints()
    actions = [
        "search[gluten free dark chocolate bars 12 pack]",
        "click[Next >]",
        "click < Prev",
        "click[B08CR7X2PL]",
        "click[Description]",
        "click[< Prev]",
        "click[3 ounce (pack of 12)]",
        "Click[Extra Dark]",
        "click[Buy Now]",
    ]
    results = [env.step(a) for a in actions]
    assert all(r.valid for r in results)
    assert [r.info["page"] for r in results] == [
        "results", "results", "results", "item", "item_sub", "item", "item", "item", "done",
    ]  # fmt: skip
    assert not any(r.done for r in results[:-1])
    last = results[-1]
    assert last.done and last.success and last.reward == 1.0 and last.score == 100.0
    assert last.info["purchased_asin"] == "B08CR7X2PL" and last.hints == ""
    with pytest.raises(EnvError, match="reset"):
        env.step("click[back to search]")


def test_wrong_purchase_gives_partial_score():
    env = make_env(replay_wrong_size)
    env.reset(TASK)
    for a in [
        "search gluten free dark chocolate bars 12 pack",
        "click b08cr7x2pl",
        "click 3 ounce (pack of 1)",
        "click extra dark",
    ]:
        assert not env.step(a).done
    last = env.step("click[buy now]")
    assert last.done and not last.success
    assert last.reward == 0.75 and last.score == 75.0
    assert last.info["purchased_options"]["size"] == "3 ounce (pack of 1)"


def test_invalid_action_is_flagged_and_engine_no_op():
    env = make_env(replay_wrong_size)
    env.reset(TASK)
    first = env.step("search[gluten free dark chocolate bars 12 pack]")
    bad = env.step("click[Buy Now]")  # no Buy Now on the results page
    assert not bad.valid and "not clickable" in bad.info["invalid_reason"]
    assert bad.observation == first.observation and bad.reward == 0.0 and not bad.done
    assert env._engine.sent[-1] == "click[buy now]"  # passed through to the engine, which ignores it
    nonsense = env.step("I think I should buy it")
    assert not nonsense.valid and nonsense.observation == first.observation
    assert env.step("click[b08cr7x2pl]").valid


def test_reset_validation():
    env = make_env()
    with pytest.raises(EnvError, match="out of range"):
        env.reset(TaskSpec("webshop", "webshop", DATA["num_goals"], "test"))
    with pytest.raises(EnvError, match="scienceworld"):
        env.reset(TaskSpec("scienceworld", "boil", 0, "train"))
    with pytest.raises(EnvError, match="reset"):
        make_env().step("search[x]")


def test_close_closes_engine():
    env = make_env()
    env.reset(TASK)
    engine = env._engine
    env.close()
    assert engine.closed


# ---------------------------------------------------------------------- config / tasks


def test_config_splits_follow_the_paper():
    cfg = WebShopConfig()
    train, dev, test = cfg.tasks("train"), cfg.tasks("dev"), cfg.tasks("test")
    assert [t.variation for t in train] == list(range(4096))
    assert [t.variation for t in test] == list(range(4096, 4196)) == [t.variation for t in dev]
    assert {t.env for t in train} == {"webshop"} and train[0].split == "train" and test[0].split == "test"
    assert not {t.variation for t in train} & {t.variation for t in test}
    with pytest.raises(EnvError, match="split"):
        cfg.tasks("valid")


def test_parse_sessions():
    assert parse_sessions("0-2, 5,7-8") == [0, 1, 2, 5, 7, 8]
    for bad in ("a-b", "5-2", "-3"):
        with pytest.raises(EnvError):
            parse_sessions(bad)


def test_config_is_picklable_and_validates():
    cfg = WebShopConfig(num_products=1000, observation_mode="text_rich", engine_factory=replay_success)
    clone = pickle.loads(pickle.dumps(cfg))
    assert (clone.name, clone.num_products, clone.observation_mode) == ("webshop", 1000, "text_rich")
    assert isinstance(clone.make(), WebShopEnv)
    with pytest.raises(EnvError, match="num_products"):
        WebShopConfig(num_products=5)
    with pytest.raises(EnvError, match="observation_mode"):
        WebShopConfig(observation_mode="html")


# ------------------------------------------------------------------------------ expert


def test_no_expert_without_demonstrations():
    assert make_env().expert_actions(TASK) is None


def test_expert_from_session_map_replays_to_success(tmp_path):
    actions = [s["action"] for s in DATA["episodes"]["success"]["steps"]]
    path = tmp_path / "demos.json"
    path.write_text(json.dumps({str(SESSION): actions}))
    env = make_env(demonstrations=str(path))
    expert = env.expert_actions(TASK)
    assert expert == actions
    assert env.expert_actions(TaskSpec("webshop", "webshop", 3, "train")) is None
    env.reset(TASK)
    results = [env.step(a) for a in expert]
    assert results[-1].success and results[-1].score == 100.0


def test_expert_from_webshop_human_trajectory_records(tmp_path):
    # WebShop's IL records hold text_rich states; the first one is the search page.
    state0 = f"WebShop\nInstruction: \n{DATA['instruction']}\n[button] Search [button_]\n"
    rec = {"states": [state0, "..."], "actions": ["search[dark chocolate]", "click[buy now]"]}
    other = {"session": 3, "actions": ["search[tea]"]}
    path = tmp_path / "trajs.jsonl"
    path.write_text(json.dumps(rec) + "\n" + json.dumps(other) + "\n")
    by_session, by_instruction = load_demonstrations(path)
    assert by_session == {3: ["search[tea]"]} and len(by_instruction) == 1
    env = make_env(demonstrations=str(path))
    assert env.expert_actions(TASK) == ["search[dark chocolate]", "click[buy now]"]
    assert env.expert_actions(TaskSpec("webshop", "webshop", 3, "train")) == ["search[tea]"]


def test_missing_demonstrations_file_is_a_clear_error(tmp_path):
    with pytest.raises(EnvError, match="demonstrations file not found"):
        make_env(demonstrations=str(tmp_path / "missing.json")).expert_actions(TASK)


# ----------------------------------------------------------------------- missing engine


def test_missing_engine_names_what_to_install(monkeypatch, tmp_path):
    monkeypatch.delenv("WEBSHOP_PATH", raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))  # locate_webshop may add to sys.path
    if any((Path(p) / "web_agent_site").is_dir() for p in sys.path if p):
        pytest.skip("web_agent_site is installed here")
    with pytest.raises(EnvError) as err:
        WebShopConfig().make()
    msg = str(err.value)
    assert "WEBSHOP_PATH" in msg and "princeton-nlp/WebShop" in msg and "setup.sh" in msg
    monkeypatch.setenv("WEBSHOP_PATH", str(tmp_path))
    with pytest.raises(EnvError, match="WEBSHOP_PATH"):
        WebShopConfig().make()


STUB_ENGINE = '''
import random


class WebAgentTextEnv:
    """Stand-in with the real constructor signature; replays the recorded session."""

    def __init__(self, observation_mode="html", file_path=None, server=None, **kwargs):
        self.kwargs = dict(kwargs, observation_mode=observation_mode)
        self.first_random = random.random()  # shows whether the adapter seeded `random`
        self.pages = PAGES

    def reset(self, session=None, instruction_text=None):
        self.session = session
        return self.pages["search"]["observation"], None

    def get_available_actions(self):
        return self.pages["search"]["available_actions"]
'''


def test_default_engine_is_found_through_webshop_path(monkeypatch, tmp_path):
    pkg = tmp_path / "web_agent_site" / "envs"
    pkg.mkdir(parents=True)
    (tmp_path / "web_agent_site" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "web_agent_text_env.py").write_text(f"PAGES = {PAGES!r}\n" + STUB_ENGINE)
    monkeypatch.setenv("WEBSHOP_PATH", str(tmp_path))
    monkeypatch.setattr(sys, "path", list(sys.path))
    with pytest.raises(EnvError, match="data is missing.*setup.sh"):
        _ = WebShopConfig(num_products=1000).make().engine
    (tmp_path / "data").mkdir()
    (tmp_path / "search_engine" / "indexes_1k").mkdir(parents=True)
    for name in [m for m in sys.modules if m.startswith("web_agent_site")]:
        monkeypatch.delitem(sys.modules, name)
    try:
        env = WebShopConfig(num_products=1000, seed=3).make()
        reset = env.reset(TASK)
        engine = env._engine
        assert engine.kwargs == {"observation_mode": "text", "num_products": 1000, "human_goals": True}
        assert engine.session == SESSION and reset.task_description == DATA["instruction"]
        first = engine.first_random
        assert WebShopConfig(num_products=1000, seed=3).make().engine.first_random == first
        # web_agent_site present but one of its requirements missing -> one clear error.
        (pkg / "web_agent_text_env.py").write_text("import gym_not_installed_here\n")
        for name in [m for m in sys.modules if m.startswith("web_agent_site.envs.web_agent_text_env")]:
            del sys.modules[name]
        with pytest.raises(EnvError, match="cannot be imported.*WEBSHOP_PATH"):
            _ = WebShopConfig(num_products=1000).make().engine
    finally:
        for name in [m for m in sys.modules if m.startswith("web_agent_site")]:
            del sys.modules[name]
