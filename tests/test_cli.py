import math
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tcod_pl.cli import main


def write_config(tmp_path: Path, tiny_models, episodes_file, **overrides) -> Path:
    cfg = {
        "model": {
            "class_path": "tcod_pl.modules.distill.DistillationModule",
            "init_args": {
                "student": str(tiny_models["student"]),
                "teacher": str(tiny_models["teacher"]),
                "loss": {"class_path": "tcod_pl.losses.GeneralizedJSD", "init_args": {"beta": 0.5}},
            },
        },
        "data": {
            "class_path": "tcod_pl.data.episode_datamodule.EpisodeDataModule",
            "init_args": {"train_file": str(episodes_file), "val_file": str(episodes_file), "batch_size": 3},
        },
        "trainer": {
            "accelerator": "cpu",
            "max_epochs": 3,
            "log_every_n_steps": 1,
            "logger": {
                "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
                "init_args": {"save_dir": str(tmp_path / "runs"), "name": "cli"},
            },
            "callbacks": [
                {"class_path": "lightning.pytorch.callbacks.LearningRateMonitor"},
                {"class_path": "callbacks.ExportHuggingFace"},
            ],
        },
    }
    cfg.update(overrides)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tcod_pl.cli", *args], capture_output=True, text=True, timeout=600
    )


def test_fit_through_the_cli_writes_tensorboard_and_config(tiny_models, episodes_file, tmp_path):
    config = write_config(tmp_path, tiny_models, episodes_file)
    main(["fit", "--config", str(config), "--trainer.max_epochs", "1"])
    run_dir = tmp_path / "runs" / "cli" / "version_0"
    assert list(run_dir.glob("events.out.tfevents.*"))
    assert (run_dir / "config.yaml").is_file() and "GeneralizedJSD" in (run_dir / "config.yaml").read_text()
    assert list((run_dir / "checkpoints").glob("*.ckpt"))
    from transformers import AutoModelForCausalLM

    exported = AutoModelForCausalLM.from_pretrained(run_dir / "hf")  # the student, in HF format
    assert (
        exported.config.num_hidden_layers
        == AutoModelForCausalLM.from_pretrained(tiny_models["student"]).config.num_hidden_layers
    )
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir))
    acc.Reload()
    assert {"train/loss", "train/traj_kl"} <= set(acc.Tags()["scalars"])


def test_print_config_shows_all_sections(tiny_models, episodes_file, tmp_path):
    config = write_config(tmp_path, tiny_models, episodes_file)
    out = run_cli("fit", "--config", str(config), "--print_config")
    assert out.returncode == 0, out.stderr
    printed = yaml.safe_load(out.stdout)
    assert {"model", "data", "trainer", "seed_everything"} <= set(printed)
    assert printed["trainer"]["callbacks"][0]["class_path"].endswith("LearningRateMonitor")
    assert printed["model"]["init_args"]["loss"]["init_args"]["beta"] == 0.5


def test_unknown_config_key_is_a_clear_error(tiny_models, episodes_file, tmp_path):
    config = write_config(tmp_path, tiny_models, episodes_file)
    out = run_cli("fit", "--config", str(config), "--model.init_args.studnet", "x")
    assert out.returncode != 0
    assert "studnet" in out.stderr


@pytest.mark.parametrize("which", ["teacher", "student"])
def test_missing_model_path_is_one_line(tiny_models, episodes_file, tmp_path, which):
    config = write_config(tmp_path, tiny_models, episodes_file)
    out = run_cli("fit", "--config", str(config), f"--model.init_args.{which}", str(tmp_path / "missing"))
    assert out.returncode == 2
    lines = [ln for ln in out.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and f"{which} model path" in lines[0] and "does not exist" in lines[0]
    assert "Traceback" not in out.stderr


def test_checkpointing_can_be_turned_off(tiny_models, episodes_file, tmp_path):
    config = write_config(tmp_path, tiny_models, episodes_file)
    main(
        [
            "fit",
            "--config",
            str(config),
            "--trainer.max_epochs",
            "1",
            "--trainer.enable_checkpointing",
            "false",
        ]
    )
    run_dir = tmp_path / "runs" / "cli" / "version_0"
    assert list(run_dir.glob("events.out.tfevents.*")) and not (run_dir / "checkpoints").exists()


REPO = Path(__file__).resolve().parents[1]


def test_a_curriculum_file_swaps_only_the_curriculum_key():
    base = str(REPO / "configs" / "scienceworld.yaml")
    plain = yaml.safe_load(run_cli("fit", "--config", base, "--print_config").stdout)
    out = run_cli(
        "fit", "--config", base, "--config", str(REPO / "configs/curriculum/b2f.yaml"), "--print_config"
    )
    assert out.returncode == 0, out.stderr
    composed = yaml.safe_load(out.stdout)
    assert plain["curriculum"]["mode"] == "f2b" and composed["curriculum"]["mode"] == "b2f"
    assert composed["curriculum"]["schedule"]["class_path"].endswith("Linear")
    # The monitor's settings (and every other callback) are the base config's.
    assert composed["trainer"]["callbacks"] == plain["trainer"]["callbacks"]
    [monitor] = composed["trainer"]["callbacks"]
    assert monitor["class_path"].endswith("KLStabilityMonitor") and monitor["init_args"]["window"] == 5


def test_a_curriculum_in_both_places_is_one_clear_error(tiny_models, episodes_file, tmp_path):
    schedule = {"class_path": "tcod_pl.curriculum.Linear"}
    config = write_config(tmp_path, tiny_models, episodes_file, curriculum={"schedule": schedule})
    cfg = yaml.safe_load(config.read_text())
    cfg["trainer"]["callbacks"].append(
        {"class_path": "callbacks.CurriculumCallback", "init_args": {"schedule": schedule}}
    )
    config.write_text(yaml.safe_dump(cfg))
    out = run_cli("fit", "--config", str(config))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    [line] = [ln for ln in out.stderr.splitlines() if ln.startswith("error:")]
    assert "`curriculum:` and in trainer.callbacks" in line


def test_optimizer_and_lr_scheduler_are_configured_the_lightningcli_way(tiny_models, episodes_file, tmp_path):
    config = write_config(tmp_path, tiny_models, episodes_file)
    cfg = yaml.safe_load(config.read_text())
    cfg["model"]["init_args"]["optimizer"] = {
        "class_path": "torch.optim.AdamW",
        "init_args": {"lr": 0.01, "weight_decay": 0.0},
    }
    cfg["model"]["init_args"]["lr_scheduler"] = {
        "class_path": "tcod_pl.modules.optim.WarmupCosine",
        "init_args": {"warmup_steps": 2, "total_steps": None},
    }
    config.write_text(yaml.safe_dump(cfg))
    main(["fit", "--config", str(config), "--trainer.max_epochs", "2"])  # 6 episodes / 3 = 2 steps per epoch
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(tmp_path / "runs" / "cli" / "version_0"))
    acc.Reload()
    lrs = [e.value for e in acc.Scalars("lr-AdamW")]
    # Warm-up over 2 steps, then cosine from the peak to 0 at the run's 4 optimizer steps.
    warm = [0.01 * (s + 1) / 2 for s in range(2)]
    decay = [0.01 * 0.5 * (1 + math.cos(math.pi * (s - 2) / (4 - 2))) for s in range(2, 4)]
    assert lrs == pytest.approx(warm + decay, rel=1e-5)


DEMO_CONFIGS = [
    "scienceworld.yaml",
    "teachers/scienceworld_bc.yaml",
    "students/scienceworld_warmstart.yaml",
    "teachers/scienceworld_eval.yaml",
]


@pytest.mark.parametrize("name", DEMO_CONFIGS)
def test_demo_configs_compose_one_shared_scienceworld_env(name, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the env file is found relative to the config, not the working directory
    with pytest.raises(SystemExit) as done:
        main(["fit", "--config", str(REPO / "configs" / name), "--print_config"])
    assert done.value.code in (0, None)
    env = yaml.safe_load(capsys.readouterr().out)["data"]["init_args"]["env"]
    shared = yaml.safe_load((REPO / "configs" / "envs" / "scienceworld_demo.yaml").read_text())
    assert env["class_path"] == shared["class_path"]
    assert {k: env["init_args"][k] for k in shared["init_args"]} == shared["init_args"]
    assert "task_names" not in (REPO / "configs" / name).read_text()  # not copied any more


@pytest.mark.parametrize("method", ["f2b", "b2f", "vanilla"])
def test_paper_scienceworld_configs_compose_one_shared_env(method, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit):
        main(
            [
                "fit",
                "--config",
                str(REPO / "configs" / "paper" / "scienceworld" / f"{method}.yaml"),
                "--print_config",
            ]
        )
    env = yaml.safe_load(capsys.readouterr().out)["data"]["init_args"]["env"]
    shared = yaml.safe_load((REPO / "configs" / "envs" / "scienceworld_paper.yaml").read_text())
    assert {k: env["init_args"][k] for k in shared["init_args"]} == shared["init_args"]
    assert shared["init_args"]["split_scheme"] == "unseen_task_types"
