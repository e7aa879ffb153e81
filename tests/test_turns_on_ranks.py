"""``batch_unit: turns`` on 2 real gloo ranks whose rollouts give different numbers of batches."""

import json
import math

import torch
from test_rollout_cli import cli, rollout_config  # tests/ is on sys.path (pytest's rootdir import)

from tcod_pl.data.episode import load_episodes
from tcod_pl.data.packing import ChatPacker, collate
from tcod_pl.modules.distill import DistillationModule

# Written next to the run's config: `python -m tcod_pl.cli` imports it from its working directory.
PROBE = '''
import json, os
import torch
from lightning.pytorch.callbacks import Callback

class RankProbe(Callback):
    """Per rank: the batches trained (real, filler), the optimizer steps, a digest of the weights."""
    def __init__(self):
        self.real = self.filler = 0
    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if "filler" in batch:
            self.filler += 1
        else:
            self.real += 1
    def on_train_end(self, trainer, pl_module):
        weights = torch.cat([p.detach().double().reshape(-1) for p in pl_module.student.parameters()])
        out = {"real": self.real, "filler": self.filler, "steps": trainer.global_step,
               "digest": [float(weights.sum()), float((weights * weights).sum())]}
        with open(f"probe-rank{trainer.global_rank}.json", "w") as f:
            json.dump(out, f)
'''


def test_filler_batch_adds_nothing_to_the_gradient(tiny_models, episodes_file):
    module = DistillationModule(str(tiny_models["student"]), str(tiny_models["teacher"]))
    packer = ChatPacker(module.tokenizer)
    batch = collate(packer.pack_many(load_episodes(episodes_file)), module.tokenizer.pad_token_id)
    loss = module.training_step({**batch, "filler": torch.ones(1, dtype=torch.bool)}, 0)["loss"]
    loss.backward()
    grads = [p.grad for p in module.student.parameters()]
    assert float(loss.detach()) == 0.0
    # every parameter took part (so DDP's all-reduce of the gradients is matched) and got zero
    assert all(g is not None for g in grads) and all(not g.any() for g in grads)


def test_turns_on_two_ranks_take_the_same_updates(tiny_models, tmp_path):
    # All episodes are expert demonstrations (on_policy_fraction 0), capped at 8 turns: their lengths
    # are the gold paths', so the two ranks' tasks (seeded per rank) give different turn counts.
    per_batch = 4
    config = rollout_config(
        tmp_path,
        tiny_models,
        strategy="ddp",
        devices=2,
        max_epochs=1,
        limit_val_batches=0,
        callbacks=[{"class_path": "rankprobe.RankProbe"}],
    )
    (tmp_path / "rankprobe.py").write_text(PROBE)
    cli(
        "fit",
        "--config",
        str(config),
        "--data.init_args.batch_unit",
        "turns",
        "--data.init_args.batch_size",
        str(per_batch),
        "--data.init_args.on_policy_fraction",
        "0.0",
        "--data.init_args.max_turns",
        "8",
        cwd=tmp_path,
    )
    turns = []
    for rank in (0, 1):
        episodes = load_episodes(tmp_path / "episodes" / f"train-step0001-rank{rank}.jsonl")
        turns.append(sum(e.num_supervised for e in episodes))
    batches = [math.ceil(t / per_batch) for t in turns]
    assert batches[0] != batches[1], turns  # the case that needs fillers
    probes = [json.loads((tmp_path / f"probe-rank{r}.json").read_text()) for r in (0, 1)]
    assert [p["real"] for p in probes] == batches
    assert [p["real"] + p["filler"] for p in probes] == [max(batches)] * 2
    assert [p["steps"] for p in probes] == [max(batches)] * 2  # one update per batch, on both ranks
    assert probes[0]["digest"] == probes[1]["digest"]  # DDP kept the replicas identical
