"""callbacks.GoldStateKL: the KL on fixed gold episodes, against a hand computation."""

from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from callbacks import GoldStateKL
from tcod_pl.data.episode import load_episodes
from tcod_pl.data.packing import ChatPacker
from tcod_pl.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def test_missing_episodes_file_names_the_fix(tmp_path):
    with pytest.raises(ConfigError, match="init_args.episodes"):
        GoldStateKL(str(tmp_path / "nowhere.jsonl"))


def test_shipped_file_resolves_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    probe = GoldStateKL("tcod_pl/assets/scienceworld/gold_dev.jsonl", max_episodes=3)
    assert [e.task for e in probe.episodes] == [
        e.task for e in load_episodes(REPO / "tcod_pl/assets/scienceworld/gold_dev.jsonl")[:3]
    ]


def test_kl_matches_a_hand_computation_at_the_teacher_temperature(tiny_models, episodes_file):
    tokenizer = AutoTokenizer.from_pretrained(tiny_models["student"])
    student = AutoModelForCausalLM.from_pretrained(tiny_models["student"]).eval()
    teacher = AutoModelForCausalLM.from_pretrained(tiny_models["teacher"]).eval()
    probe = GoldStateKL(str(episodes_file), max_episodes=2)
    packer = ChatPacker(tokenizer)
    with torch.no_grad():
        forward, reverse = probe.kl(student, teacher, packer, temperature=2.0)
        same, _ = probe.kl(student, student, packer)
    expected_f, expected_r = [], []
    for episode in load_episodes(episodes_file)[:2]:
        for sample in packer.pack(episode):
            ids = torch.tensor([sample.input_ids])
            with torch.no_grad():
                p_s = torch.softmax(student(input_ids=ids).logits[0], -1)
                p_t = torch.softmax(teacher(input_ids=ids).logits[0] / 2.0, -1)
            for i in range(1, len(sample.input_ids)):
                if sample.loss_mask[i]:
                    s, t = p_s[i - 1], p_t[i - 1]
                    expected_f.append(float((t * (t.log() - s.log())).sum()))
                    expected_r.append(float((s * (s.log() - t.log())).sum()))
    assert len(forward) == len(expected_f) > 10
    assert forward == pytest.approx(expected_f, abs=1e-5)
    assert reverse == pytest.approx(expected_r, abs=1e-5)
    assert max(abs(v) for v in same) < 1e-5 and min(forward) > 0


def test_chunked_kl_equals_one_pass(tiny_models, episodes_file):
    tokenizer = AutoTokenizer.from_pretrained(tiny_models["student"])
    student = AutoModelForCausalLM.from_pretrained(tiny_models["student"]).eval()
    teacher = AutoModelForCausalLM.from_pretrained(tiny_models["teacher"]).eval()
    packer = ChatPacker(tokenizer)
    whole = GoldStateKL(str(episodes_file), max_episodes=2, chunk_tokens=100_000)
    chunked = GoldStateKL(str(episodes_file), max_episodes=2, chunk_tokens=3)
    sample = packer.pack(whole.episodes[0])[0]
    parts = chunked.chunks(torch.tensor([sample.loss_mask[1:]]))
    assert len(parts) > 2 and all(int(p.sum()) <= 3 for p in parts)
    assert torch.equal(sum(p.long() for p in parts).bool(), torch.tensor([sample.loss_mask[1:]]))
    with torch.no_grad():
        a = whole.kl(student, teacher, packer)
        b = chunked.kl(student, teacher, packer)
    assert len(a[0]) == len(b[0]) > 10
    assert b[0] == pytest.approx(a[0], abs=1e-6) and b[1] == pytest.approx(a[1], abs=1e-6)
