"""A short version of the README's main command: tiny models, two steps, the real ScienceWorld.

The demo's numbers (panel metrics, per-token KL before/after and by turn, the training rollouts'
response statistics) are checked against values computed here, independently, from the episodes
the run saved (``episodes_dir``) and the student's weights before and after.
"""

import json
import math
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from transformers import AutoModelForCausalLM, AutoTokenizer

from tcod_pl import demo
from tcod_pl.data.episode import load_episodes
from tcod_pl.data.packing import ChatPacker

REPO = Path(__file__).resolve().parents[1]
PANEL_KEYS = {
    "success",
    "score",
    "final_score",
    "rounds",
    "invalid_rate",
    "copy_rate",
    "whitespace_token_rate",
}


def _objects(message: str) -> list[str]:
    tail = message.rsplit("Objects:", 1)
    return [o.strip() for o in tail[1].split("\n")[0].split(",") if o.strip()] if len(tail) == 2 else []


def _mean(values: list[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return sum(kept) / len(kept) if kept else math.nan


def expected_stats(episodes, tokenizer) -> dict[str, float]:
    """Per-episode rates over the student's generated turns, then their mean over episodes."""
    per_episode = {k: [] for k in ("invalid_rate", "copy_rate", "whitespace_token_rate", "empty_action_rate")}
    for e in episodes:
        acted = [t for t in e.turns if t.response_ids is not None]
        ids = [i for t in acted for i in t.response_ids]
        shown = [t for t in acted if _objects(t.observation)]
        rate = lambda hits, n: hits / n if n else math.nan  # noqa: E731
        per_episode["invalid_rate"].append(rate(sum(not t.valid for t in acted), len(acted)))
        per_episode["empty_action_rate"].append(rate(sum(t.action == "" for t in acted), len(acted)))
        per_episode["whitespace_token_rate"].append(
            rate(sum(tokenizer.decode([i]).isspace() for i in ids), len(ids))
        )
        copies = sum(any(f" {o} " in f" {t.action} " for o in _objects(t.observation)) for t in shown)
        per_episode["copy_rate"].append(rate(copies, len(shown)))
    out = {k: _mean(v) for k, v in per_episode.items()}
    out["success"] = _mean([float(e.success) for e in episodes])
    out["rounds"] = _mean([float(e.rounds) for e in episodes])
    out["score"] = _mean([max([0.0, *(t.score for t in e.turns)]) for e in episodes])  # best reached
    out["final_score"] = _mean([e.turns[-1].score if e.turns else 0.0 for e in episodes])
    return out


def response_positions(episodes, student, teacher, tokenizer):
    """(turn index, token, log pS row, log pT row) at every response token, from full forwards."""
    for sample in ChatPacker(tokenizer).pack_many(episodes):
        ids = torch.tensor([sample.input_ids])
        with torch.no_grad():
            ls = torch.log_softmax(student(input_ids=ids).logits[0].float(), -1)
            lt = torch.log_softmax(teacher(input_ids=ids).logits[0].float(), -1)
        for i in range(1, len(sample.input_ids)):
            if sample.loss_mask[i]:
                yield sample.turn_index[i], sample.input_ids[i], ls[i - 1], lt[i - 1]


def expected_token_kl(episodes, student, teacher, tokenizer) -> tuple[float, list[float]]:
    """Mean of log pS - log pT over the student's response tokens, overall and by turn."""
    total, by_turn = [], {}
    for turn, token, ls, lt in response_positions(episodes, student, teacher, tokenizer):
        kl = float(ls[token] - lt[token])
        total.append(kl)
        by_turn.setdefault(turn, []).append(kl)
    turns = [_mean(by_turn.get(t, [])) for t in range(max(by_turn) + 1)]
    return _mean(total), turns


def expected_gold_kl(path: Path, student, teacher, tokenizer) -> float:
    """Mean over the gold episodes' response tokens of sum_v pT(v) (log pT(v) - log pS(v))."""
    positions = response_positions(load_episodes(path)[:64], student, teacher, tokenizer)
    return _mean([float((lt.exp() * (lt - ls)).sum()) for _, _, ls, lt in positions])


def test_demo_prints_summary_and_its_numbers_match_the_saved_episodes(
    tiny_models, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)  # teacher-eval cache and runs land here
    args = [
        *("--config", str(REPO / "configs" / "scienceworld.yaml")),
        *("--config", str(REPO / "configs" / "demo.yaml")),
        *("--model.init_args.student", str(tiny_models["student"])),
        *("--model.init_args.teacher", str(tiny_models["teacher"])),
        *("--trainer.check_val_every_n_epoch", "1"),  # the panel after each step, printed
        *("--trainer.enable_progress_bar", "false"),
        *("--data.init_args.episodes_per_step", "2"),
        *("--data.init_args.val_episodes", "2"),
        *("--data.init_args.max_turns", "3"),  # training rollouts
        *("--data.init_args.eval_max_turns", "4"),  # the panel
        *("--data.init_args.num_env_workers", "1"),
        *("--data.init_args.progress", "false"),
        *("--trainer.logger.init_args.save_dir", str(tmp_path / "runs")),
    ]
    first = tmp_path / "first"
    results = demo.main([*args, "--trainer.max_epochs", "2", "--data.init_args.episodes_dir", str(first)])
    out = capsys.readouterr().out
    for text in ("teacher", "student before", "student after", "tensorboard --logdir", "copying"):
        assert text in out
    assert "dev panel after 1 step:" in out and "dev panel after 2 steps:" in out
    assert "by turn index" in out and "student after vs before: success" in out
    for name in ("teacher", "student_before", "student_after"):
        assert PANEL_KEYS <= set(results[name])
        assert 1 <= results[name]["rounds"] <= 4  # eval_max_turns, not max_turns
    [run] = list((tmp_path / "runs" / "scienceworld").iterdir())
    summary = json.loads((run / "summary.json").read_text())
    assert summary["results"] == results
    assert [r["step"] for r in summary["panel_history"]] == [0, 1, 2]

    tokenizer = AutoTokenizer.from_pretrained(tiny_models["student"])
    teacher = AutoModelForCausalLM.from_pretrained(tiny_models["teacher"]).eval()
    student = AutoModelForCausalLM.from_pretrained(tiny_models["student"]).eval()
    trained = AutoModelForCausalLM.from_pretrained(tiny_models["student"]).eval()
    state = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    trained.load_state_dict({k[len("student.") :]: v for k, v in state.items() if k.startswith("student.")})

    # The panel, before (step 0) and after (step 2): metrics and per-token KL, recomputed.
    for when, step, model in (("before", 0, student), ("after", 2, trained)):
        [path] = first.glob(f"val-step{step:04d}-*.jsonl")
        episodes = load_episodes(path)
        assert len(episodes) == 2 and all(e.rounds <= 4 for e in episodes)
        got = results[f"student_{when}"]
        for key, value in expected_stats(episodes, tokenizer).items():
            assert math.isnan(value) == math.isnan(got[key]), key
            if not math.isnan(value):
                assert got[key] == pytest.approx(value, abs=1e-5), key
        # success / best score per task type (ScienceWorld: the task name), from the episodes
        kinds = {e.task["name"] for e in episodes}
        assert set(summary["by_task"][f"student_{when}"]) == kinds
        for kind in kinds:
            mine = [e for e in episodes if e.task["name"] == kind]
            row, expected = summary["by_task"][f"student_{when}"][kind], expected_stats(mine, tokenizer)
            assert row["episodes"] == len(mine)
            assert row["success"] == pytest.approx(expected["success"])
            assert row["score"] == pytest.approx(expected["score"])
        token_kl, by_turn = expected_token_kl(episodes, model, teacher, tokenizer)
        assert summary["panel_token_kl"][when] == pytest.approx(token_kl, abs=1e-4)
        assert summary["panel_token_kl_by_turn"][when] == pytest.approx(by_turn, abs=1e-4)
    assert f"{summary['panel_token_kl_by_turn']['after'][0]:.2f}" in out

    # The KL on the shipped gold dev episodes (configs/demo.yaml's GoldStateKL), before and after.
    gold = REPO / "tcod_pl" / "assets" / "scienceworld" / "gold_dev.jsonl"
    for when, model in (("before", student), ("after", trained)):
        assert summary["gold_kl"][when] == pytest.approx(
            expected_gold_kl(gold, model, teacher, tokenizer), rel=1e-4
        )
        assert results[f"student_{when}"]["gold_kl"] == summary["gold_kl"][when]
    assert summary["gold_kl"]["before"] != summary["gold_kl"]["after"]  # the student was trained
    assert "gold KL" in out and "gold_kl" not in results["teacher"]
    # The teacher's rows add up to its panel line; the panel's two episodes are of two task types
    # (tasks interleaved by name), so the table is printed, one row per type.
    teacher_rows = summary["by_task"]["teacher"].values()
    assert len(teacher_rows) == 2 and sum(r["episodes"] for r in teacher_rows) == 2
    for key in ("success", "score"):
        assert sum(r[key] * r["episodes"] for r in teacher_rows) / 2 == pytest.approx(results["teacher"][key])
    assert "by task type on the dev panel" in out
    for kind in summary["by_task"]["teacher"]:
        assert kind in out

    # Each training step's response statistics in TensorBoard, recomputed from its rollouts.
    events = EventAccumulator(str(run))
    events.Reload()
    logged = {tag: [e.value for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}
    for step in (1, 2):
        [path] = first.glob(f"train-step{step:04d}-*.jsonl")
        episodes = load_episodes(path)
        assert len(episodes) == 2 and all(e.rounds <= 3 for e in episodes)
        for key, value in expected_stats(episodes, tokenizer).items():
            if not math.isnan(value):
                assert logged[f"train/{key}"][step - 1] == pytest.approx(value, abs=1e-5), key
    # one per-token KL per training step, the values Lightning logged to TensorBoard
    assert len(summary["token_kl"]) == 2 and summary["token_kl"] == pytest.approx(
        logged["train/token_kl"], rel=1e-6
    )
    assert "per-token KL(student || teacher)" in out
    assert (run / "checkpoints" / "last.ckpt").is_file()
    assert list((tmp_path / "artifacts" / "demo").glob("teacher-eval-*.json"))  # cached for the next run

    # The second run reads the teacher's evaluation from the cache; the student's episodes (sampled at
    # T=0.4) must not change with it.
    demo.main([*args, "--trainer.max_epochs", "1", "--data.init_args.episodes_dir", str(tmp_path / "second")])
    before = {}
    for name in ("first", "second"):
        [path] = (tmp_path / name).glob("val-step0000-*.jsonl")
        before[name] = [[t.response for t in e.turns] for e in load_episodes(path)]
    assert before["first"] == before["second"]
    second = json.loads(max((tmp_path / "runs" / "scienceworld").glob("*/summary.json")).read_text())
    assert second["by_task"]["teacher"] == summary["by_task"]["teacher"]  # from the cache
