import logging
import math
import random

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from tcod_pl.data.episode import Episode, Turn
from tcod_pl.data.packing import ChatPacker, collate
from tcod_pl.testing import synthetic_episode

# A template that drops earlier <think> blocks (as Qwen3's does): not prefix-stable.
STRIPPING_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
    "{% if m['role'] == 'assistant' and not loop.last %}{{ m['content'].split('</think>')[-1] }}"
    "{% else %}{{ m['content'] }}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@pytest.fixture(scope="module")
def student(tiny_models):
    tok = AutoTokenizer.from_pretrained(tiny_models["student"])
    model = AutoModelForCausalLM.from_pretrained(tiny_models["student"]).eval()
    return tok, model


def response_logprobs(model, ids, positions):
    with torch.no_grad():
        lp = torch.log_softmax(model(input_ids=torch.tensor([ids])).logits[0].double(), -1)
    return [lp[i - 1, ids[i]].item() for i in positions]


def test_packed_logprobs_equal_per_turn_prefix_scoring(student):
    tok, model = student
    episode = synthetic_episode(random.Random(1), turns=5, think=True)
    packer = ChatPacker(tok)
    assert packer.packs
    [sample] = packer.pack(episode)
    packed_pos = [i for i, m in enumerate(sample.loss_mask) if m]
    packed = response_logprobs(model, sample.input_ids, packed_pos)
    separate = []
    for t, turn in enumerate(episode.turns):
        text = tok.apply_chat_template(
            episode.messages(t + 1, with_last_response=False), tokenize=False, add_generation_prompt=True
        )
        prompt = tok(text, add_special_tokens=False)["input_ids"]
        resp = packer.response_ids(turn)
        separate += response_logprobs(model, prompt + resp, range(len(prompt), len(prompt) + len(resp)))
    assert len(packed) == len(separate) == sum(len(packer.response_ids(t)) for t in episode.turns)
    assert max(abs(a - b) for a, b in zip(packed, separate)) < 1e-5
    # turn indices cover 0..4 in order
    turns = [t for t, m in zip(sample.turn_index, sample.loss_mask) if m]
    assert sorted(set(turns)) == list(range(5)) and turns == sorted(turns)


def test_prompt_ids_are_prefixes_of_the_packed_sequence(student):
    tok, _ = student
    episode = synthetic_episode(random.Random(2), turns=4)
    packer = ChatPacker(tok)
    [sample] = packer.pack(episode)
    for t, turn in enumerate(episode.turns):
        prefix = Episode(task={}, turns=episode.turns[:t], system=episode.system)
        ids = packer.prompt_ids(prefix, turn.observation)
        assert sample.input_ids[: len(ids)] == ids
        assert sample.loss_mask[len(ids)] and not sample.loss_mask[len(ids) - 1]


def test_generated_ids_and_behaviour_logprobs_are_kept(student):
    tok, _ = student
    packer = ChatPacker(tok)
    ids = tok("<action>open door</action>", add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    ep = Episode(
        task={},
        turns=[
            Turn("obs one", "<action>open door</action>", ids, [-0.5] * len(ids)),
            Turn("obs two", "<action>look</action>", supervised=False),
        ],
    )
    [s] = packer.pack(ep)
    start = s.loss_mask.index(True)
    assert s.input_ids[start : start + len(ids)] == ids
    assert s.behaviour_logprobs[start : start + len(ids)] == [-0.5] * len(ids)
    assert sum(s.loss_mask) == len(ids)  # the replayed second turn is context only
    # end-of-turn token is not duplicated after a response that generated it
    assert s.input_ids[start + len(ids)] != tok.eos_token_id


def test_fallback_to_one_sample_per_turn_on_unstable_template(student, caplog):
    tok, model = student
    unstable = AutoTokenizer.from_pretrained(tok.name_or_path)
    unstable.chat_template = STRIPPING_TEMPLATE
    with caplog.at_level(logging.WARNING):
        packer = ChatPacker(unstable)
    assert not packer.template_stable and not packer.packs
    assert "not prefix-stable" in caplog.text
    episode = synthetic_episode(random.Random(3), turns=3, think=True)
    samples = packer.pack(episode)
    assert len(samples) == 3
    assert [s.first for s in samples] == [True, False, False]
    for t, s in enumerate(samples):
        text = unstable.apply_chat_template(
            episode.messages(t + 1, with_last_response=False), tokenize=False, add_generation_prompt=True
        )
        prompt = unstable(text, add_special_tokens=False)["input_ids"]
        assert s.input_ids[: len(prompt)] == prompt and not any(s.loss_mask[: len(prompt)])
        assert set(s.turn_index[len(prompt) :]) == {t}
    with pytest.raises(ValueError, match="prefix-stable"):
        ChatPacker(unstable, mode="packed")


def test_collate_pads_and_keeps_outcomes(student):
    tok, _ = student
    packer = ChatPacker(tok)
    eps = [synthetic_episode(random.Random(i), turns=n) for i, n in enumerate((2, 4))]
    eps[1].success, eps[1].score = True, 100.0
    batch = collate(packer.pack_many(eps, with_outcome=True), tok.pad_token_id)
    lengths = batch["attention_mask"].sum(1)
    assert batch["input_ids"].shape[1] == int(lengths.max()) and lengths[0] < lengths[1]
    assert not batch["loss_mask"][0, int(lengths[0]) :].any()
    assert batch["outcome_success"].tolist() == [0.0, 1.0] and batch["outcome_rounds"].tolist() == [2.0, 4.0]
    assert torch.isnan(batch["behaviour_logprobs"]).all()
    assert math.isclose(batch["outcome_score"][1].item(), 100.0)
