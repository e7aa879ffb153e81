"""A 2-node launch, simulated on one machine: two ``torchrun --nnodes 2 --nproc-per-node 1``
launches (``--node-rank 0`` and ``1``, rendezvous on 127.0.0.1) run 2 steps of a paper config with
its served teacher (a real vLLM server of the tiny teacher) and FSDP2 across the two "nodes"."""

import importlib.util
import os
import subprocess
import sys

import pytest
import torch
from test_paper_runs import CONFIGS, overrides
from test_rollout_cli import scalars

from tcod_pl.testing import free_port, vllm_server

pytestmark = pytest.mark.skipif(importlib.util.find_spec("vllm") is None, reason="vLLM not installed")


def test_two_torchrun_nodes_train_a_paper_config_against_a_served_teacher(tiny_models, tmp_path):
    teacher = str(tiny_models["teacher"])
    args = overrides(tiny_models, tmp_path, "scienceworld", max_turns=3, max_length=4096)
    args = args[:2] + args[4:]  # the served teacher as shipped: only its url and model name change
    port = free_port()
    with vllm_server(teacher) as url:
        launches = []
        for node in (0, 1):
            command = [
                *(sys.executable, "-m", "torch.distributed.run"),
                *("--nnodes", "2", "--nproc-per-node", "1", "--node-rank", str(node)),
                *("--master-addr", "127.0.0.1", "--master-port", str(port)),
                *("-m", "tcod_pl.cli", "fit", "--config", str(CONFIGS / "scienceworld" / "f2b.yaml")),
                *args,
                *("--trainer.num_nodes", "2", "--trainer.devices", "1"),
                *("--model.init_args.teacher.init_args.url", url),
                *("--model.init_args.teacher.init_args.model", teacher),
            ]
            launches.append(
                subprocess.Popen(
                    command,
                    cwd=tmp_path,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                )
            )
        outputs = [p.communicate(timeout=900)[0] for p in launches]
    for node, (launch, out) in enumerate(zip(launches, outputs)):
        assert launch.returncode == 0, (node, out[-3000:])
    assert "GLOBAL_RANK: 1, MEMBER: 2/2" in outputs[1]  # node 1 joined as the second rank

    [run] = (tmp_path / "runs").glob("scienceworld_f2b/version_0")
    values = scalars(run)
    assert len(values["curriculum/depth"]) == 2 and min(values["train/supervised_tokens"]) > 0
    assert values["time/teacher_s"] and all(s > 0 for s in values["time/teacher_s"])
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True, map_location="cpu")
    assert ckpt["global_step"] >= 2 and not any(k.startswith("teacher.") for k in ckpt["state_dict"])
