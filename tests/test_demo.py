"""A short version of the README's main command: tiny models, two steps, the real ScienceWorld."""

import json
from pathlib import Path

import pytest

from tcod_pl import demo
from tcod_pl.data.episode import load_episodes

REPO = Path(__file__).resolve().parents[1]


def test_demo_prints_summary_and_writes_checkpoints_and_tensorboard(
    tiny_models, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)  # teacher-eval cache and runs land here
    args = [
        "--config",
        str(REPO / "configs" / "scienceworld.yaml"),
        "--model.init_args.student",
        str(tiny_models["student"]),
        "--model.init_args.teacher",
        str(tiny_models["teacher"]),
        "--trainer.max_epochs",
        "2",
        "--trainer.check_val_every_n_epoch",
        "2",
        "--trainer.enable_progress_bar",
        "false",
        "--data.init_args.episodes_per_step",
        "2",
        "--data.init_args.val_episodes",
        "2",
        "--data.init_args.max_turns",
        "3",
        "--data.init_args.num_env_workers",
        "1",
        "--data.init_args.progress",
        "false",
        "--trainer.logger.init_args.save_dir",
        str(tmp_path / "runs"),
    ]
    results = demo.main([*args, "--data.init_args.episodes_dir", str(tmp_path / "first")])
    out = capsys.readouterr().out
    assert (
        "teacher" in out
        and "student before" in out
        and "student after" in out
        and "tensorboard --logdir" in out
    )
    for name in ("teacher", "student_before", "student_after"):
        assert set(results[name]) == {"success", "score", "rounds", "invalid_rate"}
        assert 1 <= results[name]["rounds"] <= 3
    [run] = list((tmp_path / "runs" / "scienceworld").iterdir())
    summary = json.loads((run / "summary.json").read_text())
    assert summary["results"] == results
    # one per-token KL per training step, the values Lightning logged to TensorBoard
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run))
    events.Reload()
    logged = [e.value for e in events.Scalars("train/token_kl")]
    assert len(summary["token_kl"]) == 2 and summary["token_kl"] == pytest.approx(logged, rel=1e-6)
    assert "per-token KL(student || teacher)" in out
    assert list(run.glob("events.out.tfevents.*"))
    assert (run / "checkpoints" / "last.ckpt").is_file()
    assert list((tmp_path / "artifacts" / "demo").glob("teacher-eval-*.json"))  # cached for the next run

    # The second run reads the teacher's evaluation from the cache; the student's episodes (sampled at
    # T=0.4) must not change with it.
    demo.main([*args, "--data.init_args.episodes_dir", str(tmp_path / "second")])
    before = {}
    for name in ("first", "second"):
        [path] = (tmp_path / name).glob("val-step0001-*.jsonl")
        before[name] = [[t.response for t in e.turns] for e in load_episodes(path)]
    assert before["first"] == before["second"]
