"""HFPolicy samples exactly what it records: nothing from generation_config.json, pad == eos safe."""

import json

import pytest
import torch
import torch.nn.functional as F
from transformers import AutoModelForCausalLM, AutoTokenizer

from tcod_pl.rollout.policy import HFPolicy

# What a checkpoint may ship (Qwen's generation_config.json sets repetition_penalty, top_k, ...):
# each of these would change greedy or sampled tokens if generate() picked it up.
HOSTILE = {
    "repetition_penalty": 5.0,
    "no_repeat_ngram_size": 1,
    "top_k": 1,
    "do_sample": True,
    "temperature": 0.1,
}


@pytest.fixture(scope="module")
def hostile_model(tiny_models, tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile")
    model = AutoModelForCausalLM.from_pretrained(tiny_models["student"])
    tok = AutoTokenizer.from_pretrained(tiny_models["student"])
    model.save_pretrained(path)
    tok.save_pretrained(path)
    config = json.loads((path / "generation_config.json").read_text())
    (path / "generation_config.json").write_text(json.dumps({**config, **HOSTILE}))
    loaded = AutoModelForCausalLM.from_pretrained(path).eval()
    assert loaded.generation_config.repetition_penalty == 5.0
    return loaded, tok


def prompts(tok) -> list[list[int]]:
    texts = ["You see a kitchen.", "Look around the hallway and open the door.", "Pick up the apple."]
    return [tok(t)["input_ids"] for t in texts]


def manual_greedy(model, prompt: list[int], n: int, eos: int) -> tuple[list[int], list[float]]:
    """Argmax decoding with full forward passes: the independent reference."""
    ids, lps = list(prompt), []
    with torch.no_grad():
        for _ in range(n):
            logp = F.log_softmax(model(input_ids=torch.tensor([ids])).logits[0, -1].float(), -1)
            t = int(logp.argmax())
            ids.append(t)
            lps.append(float(logp[t]))
            if t == eos:
                break
    return ids[len(prompt) :], lps


def test_greedy_ignores_the_checkpoints_generation_config(hostile_model):
    model, tok = hostile_model
    policy = HFPolicy(max_new_tokens=12, stop_strings=[])
    policy.bind(model, tok)
    for prompt, gen in zip(prompts(tok), policy.generate(prompts(tok), temperature=0.0)):
        tokens, lps = manual_greedy(model, prompt, 12, tok.eos_token_id)
        assert gen.token_ids == tokens
        assert max(abs(a - b) for a, b in zip(gen.logprobs, lps)) < 1e-4
    # the random model repeats itself greedily: a repetition penalty / n-gram block would show
    assert any(len(set(g.token_ids)) < len(g.token_ids) for g in policy.generate(prompts(tok), 0.0))
    assert model.generation_config.repetition_penalty == 5.0  # restored after generating


def test_sampling_is_plain_softmax_not_the_checkpoints_top_k(hostile_model):
    model, tok = hostile_model
    policy = HFPolicy(max_new_tokens=16, stop_strings=[])
    policy.bind(model, tok)
    torch.manual_seed(0)
    not_argmax = total = 0
    for prompt, gen in zip(prompts(tok), policy.generate(prompts(tok) * 4, temperature=1.0)):
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([prompt + gen.token_ids])).logits[0, len(prompt) - 1 : -1]
        logp = F.log_softmax(logits.float(), -1)
        chosen = torch.tensor(gen.token_ids)
        not_argmax += int((logp.argmax(-1) != chosen).sum())
        total += len(chosen)
        # behaviour log-probs: the untempered distribution at the sampled tokens
        assert torch.allclose(
            torch.tensor(gen.logprobs), logp.gather(-1, chosen[:, None]).squeeze(-1), atol=1e-4
        )
    assert not_argmax > total // 4  # top_k=1 from the checkpoint would make this 0


def test_padding_equal_to_eos_after_a_stop_string_is_not_a_sampled_eos(tiny_models):
    tok = AutoTokenizer.from_pretrained(tiny_models["student"])
    tok.pad_token = tok.eos_token  # tokenizers with pad == eos exist (e.g. many Llama setups)
    policy = HFPolicy(stop_strings=["</action>"])
    policy.tokenizer = tok
    act, close, eos = tok.convert_tokens_to_ids(["<action>", "</action>", tok.eos_token])
    look = tok("look")["input_ids"]
    # a row that stopped on the stop string, then padded with pad (== eos) by generate()
    assert policy._cut([act, *look, close, eos, eos]) == [act, *look, close]
    # a sampled end of turn is still kept
    assert policy._cut([act, *look, eos, eos]) == [act, *look, eos]
