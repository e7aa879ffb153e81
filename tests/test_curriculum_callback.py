"""CurriculumCallback inside a real Trainer, against a fake datamodule that asks it for the depth rule."""

from __future__ import annotations

from dataclasses import asdict
from types import SimpleNamespace

import lightning.pytorch as pl
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from torch import nn
from torch.utils.data import DataLoader, IterableDataset

from callbacks import Adaptive, Constant, CurriculumCallback, Linear, Step
from tcod_pl.curriculum import Curriculum, RolloutRecord, Schedule, find_curriculum
from tcod_pl.turn_stats import OUTPUT_KEY, ByTurn, TurnKL

# Frontier KL grows by this factor per epoch: flat, flat, escalating, flat... (drives Adaptive).
KL_SCALE = [1.0, 1.0, 1.0, 3.0, 9.0, 9.0, 9.0, 9.0, 9.0]


class LazyRollouts(IterableDataset):
    """Asks the curriculum for the rule only when iterated, like the real rollout datamodule.

    Unsized, Lightning prefetches its first batch when it builds the loader, before
    on_train_epoch_start, on the first epoch of a fit (fresh or resumed); sized, it does not.
    """

    def __init__(self, dm: FakeRolloutDataModule):
        self.dm = dm

    def __len__(self) -> int:
        if not self.dm.sized:
            raise TypeError("unsized")
        return 1

    def __iter__(self):
        dm = self.dm
        rule = find_curriculum(dm.trainer).rule(dm.max_turns)
        turns = dm.max_turns if rule.depth is None else min(rule.depth, dm.max_turns)
        record = RolloutRecord(
            dm.trainer.current_epoch,
            dm.trainer.current_epoch + 1,
            rule.depth,
            rule.mode,
            2,
            float(turns),
            0.0,
        )
        dm.depth_history.append(asdict(record))
        find_curriculum(dm.trainer).report(record)
        yield {"turns": torch.tensor(turns)}


class FakeRolloutDataModule(pl.LightningDataModule):
    def __init__(self, max_turns: int = 6, with_val: bool = False, sized: bool = False):
        super().__init__()
        self.sized = sized
        self.max_turns = max_turns
        self.with_val = with_val
        self.depth_history: list[dict] = []

    def train_dataloader(self):
        return DataLoader(LazyRollouts(self), batch_size=None)

    def val_dataloader(self):
        return DataLoader([{"turns": torch.tensor(1)}], batch_size=None) if self.with_val else []


class PerTurnKLModule(pl.LightningModule):
    """training_step returns outputs shaped like DistillationModule's."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))

    def training_step(self, batch, batch_idx):
        turns = int(batch["turns"])
        kl = (1.0 + 0.1 * torch.arange(turns, dtype=torch.float32)) * KL_SCALE[self.current_epoch]
        by_turn = ByTurn(kl, torch.ones(turns), torch.zeros(turns), torch.full((turns,), 4.0))
        stats = TurnKL(turn_kl=kl, traj_kl=kl.sum()[None], by_turn=by_turn, low_support=torch.tensor(0.0))
        return {"loss": ((self.w - 1.0) ** 2).sum(), OUTPUT_KEY: stats}

    def validation_step(self, batch, batch_idx):
        self.log("val/success", 0.5, batch_size=1)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def fit(tmp_path, schedule: Schedule, epochs: int, mode: str = "f2b", with_val=False, sized=False, **kwargs):
    dm = FakeRolloutDataModule(with_val=with_val, sized=sized)
    trainer = pl.Trainer(
        max_epochs=epochs,
        accelerator="cpu",
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        callbacks=[
            CurriculumCallback(schedule, mode=mode),
            ModelCheckpoint(dirpath=tmp_path / "ckpt", save_last=True),
        ],
    )
    trainer.fit(PerTurnKLModule(), datamodule=dm, **kwargs)
    return trainer, dm


def rollouts(dm: FakeRolloutDataModule) -> list[tuple[int, int | None, str]]:
    """(epoch, depth, mode) of every rollout the datamodule actually performed."""
    return [(h["epoch"], h["depth"], h["mode"]) for h in dm.depth_history]


@pytest.mark.parametrize("sized", [False, True], ids=["unsized-loader", "sized-loader"])
@pytest.mark.parametrize("mode", ["f2b", "b2f"])
def test_depths_follow_the_schedule(tmp_path, mode, sized):
    schedule = Linear(k_start=1, eta=2, max_depth=30)
    trainer, dm = fit(tmp_path, schedule, epochs=4, mode=mode, sized=sized)
    expected = [(e, schedule.depth(e + 1), mode) for e in range(4)]
    assert expected == [(0, 1, mode), (1, 2, mode), (2, 2, mode), (3, 3, mode)]
    assert rollouts(dm) == expected
    assert trainer.callback_metrics["curriculum/depth"] == 3.0
    assert trainer.callback_metrics["curriculum/mean_student_turns"] == 3.0


def test_constant_none_is_vanilla_opd(tmp_path):
    trainer, dm = fit(tmp_path, Constant(), epochs=3)
    assert [d for _, d, _ in rollouts(dm)] == [None, None, None]
    assert [h["mean_student_turns"] for h in dm.depth_history] == [dm.max_turns] * 3
    assert trainer.callback_metrics["curriculum/depth"] == float(dm.max_turns)


def run_with_resume(tmp_path, make_schedule, with_val: bool, sized: bool, total: int = 6, stop: int = 3):
    kw = {"with_val": with_val, "sized": sized}
    _, uninterrupted = fit(tmp_path / "a", make_schedule(), epochs=total, **kw)
    _, first = fit(tmp_path / "b", make_schedule(), epochs=stop, **kw)
    assert (tmp_path / "b" / "ckpt" / "last.ckpt").is_file()
    trainer, second = fit(tmp_path / "b", make_schedule(), epochs=total, ckpt_path="last", **kw)
    resumed = [cb for cb in trainer.callbacks if isinstance(cb, CurriculumCallback)][0]
    assert resumed.step == total
    return rollouts(uninterrupted), rollouts(first) + rollouts(second)


@pytest.mark.parametrize("sized", [False, True], ids=["unsized", "sized"])
@pytest.mark.parametrize("with_val", [False, True], ids=["ckpt-at-epoch-end", "ckpt-at-val-end"])
@pytest.mark.parametrize(
    "make_schedule",
    [
        lambda: Linear(k_start=1, eta=2),
        lambda: Step({1: 2, 3: 4, 5: 1}),
        lambda: Adaptive(k_start=1, max_depth=5, band=0.1, ema=0.5, min_dwell=2),
    ],
    ids=["linear", "step", "adaptive"],
)
def test_resume_from_last_checkpoint_continues_the_depth_sequence(tmp_path, make_schedule, with_val, sized):
    expected, got = run_with_resume(tmp_path, make_schedule, with_val, sized)
    assert [d for _, d, _ in got] == [d for _, d, _ in expected]
    # Unsized, the resumed first rollout runs before Lightning restores current_epoch (it reads 2).
    assert [e for e, _, _ in got] == ([0, 1, 2, 3, 4, 5] if sized else [0, 1, 2, 2, 4, 5])


def test_adaptive_in_the_loop_grows_then_holds(tmp_path):
    _, dm = fit(tmp_path, Adaptive(k_start=1, max_depth=5, band=0.1, ema=0.5, min_dwell=2), epochs=6)
    assert [d for _, d, _ in rollouts(dm)] == [1, 1, 2, 2, 2, 2]


def test_invalid_mode_and_a_datamodule_that_never_asks_are_reported(tmp_path):
    with pytest.raises(ValueError, match="mode must be one of"):
        CurriculumCallback(Linear(), mode="backward")

    class NeverAsks(pl.LightningDataModule):
        def train_dataloader(self):
            return DataLoader([{"turns": torch.tensor(1)}], batch_size=None)

    trainer = pl.Trainer(
        max_epochs=1, logger=False, enable_progress_bar=False, callbacks=[CurriculumCallback(Linear())]
    )
    with pytest.warns(UserWarning, match="nothing asked for the depth rule of step 1.*NeverAsks"):
        trainer.fit(PerTurnKLModule(), datamodule=NeverAsks())


def test_two_curricula_are_a_clear_error():
    # (Lightning itself refuses two callbacks of one stateful class; two curriculum classes pass it.)
    trainer = SimpleNamespace(callbacks=[CurriculumCallback(Linear()), Curriculum(Constant())])
    with pytest.raises(ValueError, match="2 curricula .* under the `curriculum:` key"):
        find_curriculum(trainer)


def test_rollouts_made_before_the_epoch_starts_get_that_steps_depth(tmp_path):
    class EagerRollouts(FakeRolloutDataModule):
        """Rolls out inside train_dataloader(), which Lightning calls before on_train_epoch_start."""

        def train_dataloader(self):
            batch = next(iter(LazyRollouts(self)))
            return DataLoader([batch], batch_size=None)

    dm = EagerRollouts()
    schedule = Linear(k_start=1, eta=2)
    trainer = pl.Trainer(
        max_epochs=4,
        logger=False,
        enable_checkpointing=False,
        default_root_dir=tmp_path,
        enable_progress_bar=False,
        reload_dataloaders_every_n_epochs=1,
        callbacks=[CurriculumCallback(schedule)],
    )
    trainer.fit(PerTurnKLModule(), datamodule=dm)
    assert [d for _, d, _ in rollouts(dm)] == [schedule.depth(n) for n in range(1, 5)] == [1, 2, 2, 3]
