"""The lost-update guard: it fires when bf16 weights round an lr 1e-6 update away, and stays silent
on the paper configs' own precision setting (bf16-mixed, fp32 weights)."""

import logging
from functools import partial
from pathlib import Path

import torch
import yaml
from torch.utils.data import DataLoader

from tcod_pl.data.episode import load_episodes
from tcod_pl.data.packing import ChatPacker, collate
from tcod_pl.guards import LostUpdateGuard
from tcod_pl.modules.distill import DistillationModule
from tcod_pl.testing import quiet_trainer

PAPER = sorted((Path(__file__).resolve().parents[1] / "configs" / "paper").glob("*/*.yaml"))


def paper_setting() -> dict:
    """precision, dtype, optimizer and clipping of the nine paper configs (they must agree)."""
    settings = []
    for path in PAPER:
        config = yaml.safe_load(path.read_text())
        args = config["model"]["init_args"]
        settings.append(
            {
                "precision": config["trainer"]["precision"],
                "dtype": args["dtype"],
                "lr": args["optimizer"]["init_args"]["lr"],
                "weight_decay": args["optimizer"]["init_args"]["weight_decay"],
                "clip": config["trainer"]["gradient_clip_val"],
            }
        )
    assert len(settings) == 9 and all(s == settings[0] for s in settings), settings
    return settings[0]


def first_update(tiny_models, episodes_file, precision: str, dtype: str, lr: float, wd: float, clip: float):
    module = DistillationModule(
        str(tiny_models["student"]),
        str(tiny_models["teacher"]),
        dtype=dtype,
        optimizer=partial(torch.optim.AdamW, lr=lr, weight_decay=wd),
    )
    packer = ChatPacker(module.tokenizer)
    batch = collate(packer.pack_many(load_episodes(episodes_file)), module.tokenizer.pad_token_id)
    guard = LostUpdateGuard()
    before = {k: v.clone() for k, v in module.student.state_dict().items()}
    trainer = quiet_trainer(max_steps=1, precision=precision, gradient_clip_val=clip, callbacks=[guard])
    trainer.fit(module, DataLoader([batch], batch_size=None))
    after = module.student.state_dict()
    changed = sum(int((after[k] != v).sum()) for k, v in before.items())
    return guard, changed / sum(v.numel() for v in before.values())


def test_paper_configs_train_in_bf16_mixed_with_fp32_weights():
    setting = paper_setting()
    assert setting["precision"] == "bf16-mixed" and setting["dtype"] == "float32"


def test_guard_fires_on_bf16_true_at_lr_1e6(tiny_models, episodes_file, caplog):
    s = paper_setting()
    with caplog.at_level(logging.WARNING, logger="tcod_pl.guards"):
        guard, changed = first_update(
            tiny_models, episodes_file, "bf16-true", "bfloat16", s["lr"], s["weight_decay"], s["clip"]
        )
    # Independently of the guard's sample: almost no weight of the whole student moved.
    assert changed < 0.1
    assert guard.share is not None and guard.share < 0.1
    lines = [r.getMessage() for r in caplog.records if r.name == "tcod_pl.guards"]
    assert len(lines) == 1 and "\n" not in lines[0]
    assert "bf16-true" in lines[0] and "bfloat16" in lines[0] and "lr 1e-06" in lines[0]


def test_guard_silent_on_the_paper_setting(tiny_models, episodes_file, caplog):
    s = paper_setting()
    with caplog.at_level(logging.WARNING, logger="tcod_pl.guards"):
        guard, changed = first_update(
            tiny_models, episodes_file, s["precision"], s["dtype"], s["lr"], s["weight_decay"], s["clip"]
        )
    assert changed > 0.9  # fp32 master weights take the 1e-6 step
    assert guard.share is not None and guard.share > 0.9
    assert not [r for r in caplog.records if r.name == "tcod_pl.guards"]
