"""A Qwen3 pair through the loop (q/k norms, a head size of its own): random-init stand-ins on the
project tokenizer train 2 steps through the real CLI with VLLMPolicy and with HFPolicy, and
vLLM's recorded log-probs equal the Hugging Face student's forward."""

import importlib.util

import pytest
import torch
import yaml
from test_rollout_cli import cli, rollout_config, scalars
from transformers import AutoModelForCausalLM, AutoTokenizer

from tcod_pl.data.episode import load_episodes
from tcod_pl.testing import behaviour_logprob_gap, make_tiny_models


@pytest.fixture(scope="module")
def qwen3(tmp_path_factory):
    models = make_tiny_models(tmp_path_factory.mktemp("qwen3"), architecture="qwen3")
    config = AutoModelForCausalLM.from_pretrained(models["student"]).config
    assert (
        config.model_type == "qwen3" and config.head_dim != config.hidden_size // config.num_attention_heads
    )
    return models


POLICIES = {
    "vllm": {
        "class_path": "tcod_pl.rollout.vllm_policy.VLLMPolicy",
        "init_args": {"max_new_tokens": 8, "kv_cache_gb": 0.125, "max_model_len": 2048},
    },
    "hf": {"class_path": "tcod_pl.rollout.policy.HFPolicy", "init_args": {"max_new_tokens": 8}},
}


@pytest.mark.parametrize("policy", ["vllm", "hf"])
def test_qwen3_pair_trains_two_steps(policy, qwen3, tmp_path):
    if policy == "vllm" and importlib.util.find_spec("vllm") is None:
        pytest.skip("vLLM not installed")
    config = rollout_config(tmp_path, qwen3, max_epochs=2)
    cfg = yaml.safe_load(config.read_text())
    cfg["model"]["init_args"]["optimizer"] = {"class_path": "torch.optim.AdamW", "init_args": {"lr": 0.02}}
    cfg["data"]["init_args"]["policy"] = POLICIES[policy]
    config.write_text(yaml.safe_dump(cfg))
    cli("fit", "--config", str(config), cwd=tmp_path)

    values = scalars(next((tmp_path / "runs" / "sw").iterdir()))
    assert len(values["train/loss"]) == 2 and all(torch.isfinite(torch.tensor(values["train/loss"])))
    tokenizer = AutoTokenizer.from_pretrained(qwen3["student"])
    initial = AutoModelForCausalLM.from_pretrained(qwen3["student"]).eval()
    worst, n = behaviour_logprob_gap(
        initial, tokenizer, load_episodes(tmp_path / "episodes" / "train-step0001-rank0.jsonl")
    )
    assert n > 0 and worst <= 1e-4, worst  # step 1's rollouts: the initial student's log-probs
    ckpt = torch.load(next((tmp_path / "runs" / "sw").glob("*/checkpoints/last.ckpt")), weights_only=True)
    q_norm = ckpt["state_dict"]["student.model.layers.0.self_attn.q_norm.weight"]
    assert not torch.equal(
        q_norm, initial.model.layers[0].self_attn.q_norm.weight
    )  # Qwen3's own weights train
