import logging
import math
import random

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from tcod_pl.data.episode import Episode, Turn
from tcod_pl.data.packing import ChatPacker, collate
from tcod_pl.testing import QWEN3_STYLE_TEMPLATE, synthetic_episode

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


@pytest.fixture(scope="module")
def stripping(student):
    """The project tokenizer under the Qwen3-style template, which renders earlier turns stripped."""
    tok, _ = student
    other = AutoTokenizer.from_pretrained(tok.name_or_path)
    other.chat_template = QWEN3_STYLE_TEMPLATE
    return other


def test_qwen3_style_template_strips_earlier_reasoning(stripping):
    msgs = [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "<think>r1</think><action>x</action>"},
        {"role": "user", "content": "b"},
        {"role": "assistant", "content": "<think>r2</think><action>y</action>"},
    ]
    text = stripping.apply_chat_template(msgs, tokenize=False)
    assert "r1" not in text and "<think>r2</think><action>y</action>" in text
    assert not ChatPacker(stripping, mode="per_turn").template_stable


def test_stripping_template_packs_token_level_and_scores_equal_the_per_turn_prompts(student, stripping):
    """What the policy saw each turn (its prompt: earlier reasoning included) scored one turn at a
    time equals the one packed sequence, <= 1e-5; the template's own render differs from it."""
    _, model = student
    episode = synthetic_episode(random.Random(4), turns=6, think=True)
    packer = ChatPacker(stripping)
    assert packer.mode == "tokens" and packer.packs and not packer.template_stable
    eot = [stripping.eos_token_id]
    for turn in episode.turns:  # responses as a policy returns them: generated ids, end of turn last
        turn.response_ids = stripping(turn.response, add_special_tokens=False)["input_ids"] + eot
    [sample] = packer.pack(episode)
    packed_pos = [i for i, m in enumerate(sample.loss_mask) if m]
    packed = response_logprobs(model, sample.input_ids, packed_pos)
    separate = []
    for t, turn in enumerate(episode.turns):
        prompt = packer.prompt_ids(
            Episode(task={}, turns=episode.turns[:t], system=episode.system), turn.observation
        )
        assert sample.input_ids[: len(prompt)] == prompt  # the packed prefix is what the policy saw
        resp = turn.response_ids
        separate += response_logprobs(model, prompt + resp, range(len(prompt), len(prompt) + len(resp)))
        rendered = stripping(
            stripping.apply_chat_template(
                episode.messages(t + 1, with_last_response=False), tokenize=False, add_generation_prompt=True
            ),
            add_special_tokens=False,
        )["input_ids"]
        think = stripping.convert_tokens_to_ids("<think>")
        assert prompt.count(think) == t  # every earlier turn's reasoning is in the context
        if t == 0:
            assert rendered == prompt
        else:  # the template would have shown the history stripped
            assert rendered.count(think) == 0 and len(rendered) < len(prompt)
    assert len(packed) == len(separate) == sum(len(t.response_ids) for t in episode.turns)
    assert max(abs(a - b) for a, b in zip(packed, separate)) < 1e-5


def test_prompts_of_a_30_turn_episode_take_one_render_per_message(stripping):
    packer = ChatPacker(stripping)
    calls = []
    render = stripping.apply_chat_template

    def counted(*args, **kwargs):
        calls.append(1)
        return render(*args, **kwargs)

    episode = synthetic_episode(random.Random(5), turns=30, think=True)
    stripping.apply_chat_template = counted
    try:
        grown = Episode(task={}, system=episode.system)
        for turn in episode.turns:  # as the runner does: one prompt per turn, then the turn is recorded
            prompt = packer.prompt_ids(grown, turn.observation)
            grown.turns.append(turn)
        assert len(calls) == 30  # the opening, then each new user message once: O(T), not O(T^2)
        [sample] = packer.pack(grown)
        assert len(calls) == 30  # scoring re-renders nothing
    finally:
        del stripping.apply_chat_template
    assert sample.input_ids[: len(prompt)] == prompt


def test_token_level_layout_equals_the_re_rendered_packing_on_a_stable_template(student):
    tok, _ = student
    tokens, packed = ChatPacker(tok), ChatPacker(tok, mode="packed")
    assert tokens.mode == "tokens" and packed.template_stable
    for seed, think in ((6, False), (7, True)):
        episode = synthetic_episode(random.Random(seed), turns=5, think=think)
        episode.turns[1].supervised = False
        episode.turns[2].response_ids = tok(episode.turns[2].response, add_special_tokens=False)["input_ids"]
        [a], [b] = tokens.pack(episode), packed.pack(episode)  # turn 2 ended without end of turn
        assert (a.input_ids, a.loss_mask, a.turn_index) == (b.input_ids, b.loss_mask, b.turn_index)


def test_per_turn_layout_carries_the_templates_full_prompt(student, stripping):
    with pytest.raises(ValueError, match="prefix-stable"):
        ChatPacker(stripping, mode="packed")
    packer = ChatPacker(stripping, mode="per_turn")
    assert not packer.packs
    episode = synthetic_episode(random.Random(3), turns=3, think=True)
    samples = packer.pack(episode)
    assert len(samples) == 3
    assert [s.first for s in samples] == [True, False, False]
    for t, s in enumerate(samples):
        text = stripping.apply_chat_template(
            episode.messages(t + 1, with_last_response=False), tokenize=False, add_generation_prompt=True
        )
        prompt = stripping(text, add_special_tokens=False)["input_ids"]
        assert s.input_ids[: len(prompt)] == prompt and not any(s.loss_mask[: len(prompt)])
        assert set(s.turn_index[len(prompt) :]) == {t}


def test_a_template_without_chatml_markup_falls_back_to_one_sample_per_turn(student, caplog):
    tok, _ = student
    odd = AutoTokenizer.from_pretrained(tok.name_or_path)
    # restates the whole history inside every user turn: no per-message rendering exists
    odd.chat_template = (
        "{% for m in messages %}{% if m['role'] == 'assistant' and not loop.last %}{% else %}"
        "<|im_start|>{{ m['role'] }}\n{{ m['content'] }} (turn {{ loop.index }})<|im_end|>\n{% endif %}{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    with caplog.at_level(logging.WARNING):
        packer = ChatPacker(odd)
    assert not packer.tokens_ok and not packer.template_stable and not packer.packs
    assert "not prefix-stable" in caplog.text
    assert len(packer.pack(synthetic_episode(random.Random(3), turns=3))) == 3


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
