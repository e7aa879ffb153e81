"""``last.ckpt`` every ``last_every_n_epochs`` steps and at the end; resuming from one is exact."""

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.demos.boring_classes import BoringModel
from torch.utils.data import DataLoader, IterableDataset

from tcod_pl.checkpointing import CadenceCheckpoint
from tcod_pl.resume import RNGState


class FreshBatches(IterableDataset):
    """New random batches every epoch, like rollouts: an inexact resume would draw other ones."""

    def __iter__(self):
        for _ in range(2):
            yield torch.randn(4, 32)


class LastEpochs(Callback):
    """The epoch stored in last.ckpt before each epoch starts and after training ends."""

    def __init__(self, path):
        self.path, self.seen = path, []

    def _read(self):
        self.seen.append(torch.load(self.path, weights_only=True)["epoch"] if self.path.exists() else None)

    def on_train_epoch_start(self, trainer, pl_module):
        self._read()

    def on_fit_end(self, trainer, pl_module):
        self._read()


def fit(tmp_path, max_epochs, ckpt_path=None, **cadence):
    pl.seed_everything(0)
    model = BoringModel()
    checkpoint = CadenceCheckpoint(
        dirpath=tmp_path / "ck", save_last=True, save_on_train_epoch_end=True, **cadence
    )
    observer = LastEpochs(tmp_path / "ck" / "last.ckpt")
    trainer = pl.Trainer(
        max_epochs=max_epochs,
        limit_val_batches=0,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        callbacks=[observer, RNGState(), checkpoint],
    )
    trainer.fit(model, DataLoader(FreshBatches(), batch_size=None), ckpt_path=ckpt_path)
    return model, observer.seen


def test_last_follows_its_cadence_and_the_final_step(tmp_path):
    _, seen = fit(tmp_path, 5, every_n_epochs=0, last_every_n_epochs=2)
    # before epochs 0..4, then after fit: written after epochs 1 and 3 (0-based) and at the end
    # (Lightning's end-of-fit checkpoint counts the epochs done: 5)
    assert seen == [None, None, 1, 1, 3, 5]


def test_last_defaults_to_every_n_epochs(tmp_path):
    _, seen = fit(tmp_path, 4, every_n_epochs=3)
    assert seen == [None, None, None, 2, 4]


def test_resume_from_a_cadence_checkpoint_is_exact(tmp_path):
    whole, _ = fit(tmp_path / "a", 4, last_every_n_epochs=2)
    # a run stopped after 2 steps: its last.ckpt is the cadence one of epoch 1 (no second write at the end)
    fit(tmp_path / "b", 2, last_every_n_epochs=2)
    # a run stopped after 3 steps: last.ckpt is its end-of-fit one
    fit(tmp_path / "c", 3, last_every_n_epochs=2)
    assert torch.load(tmp_path / "b" / "ck" / "last.ckpt", weights_only=True)["epoch"] == 1
    assert torch.load(tmp_path / "c" / "ck" / "last.ckpt", weights_only=True)["epoch"] == 3
    for run in ("b", "c"):
        resumed, _ = fit(
            tmp_path / f"{run}2", 4, ckpt_path=tmp_path / run / "ck" / "last.ckpt", last_every_n_epochs=2
        )
        for a, b in zip(whole.parameters(), resumed.parameters()):
            assert torch.equal(a, b), run
