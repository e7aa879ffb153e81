"""The shipped ScienceWorld teacher and student (tcod_pl/assets/scienceworld) load like hub models."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

import tcod_pl
from tcod_pl.data.packing import ChatPacker
from tcod_pl.rollout.prompting import AgentPrompt, parse_action

ASSETS = Path(tcod_pl.__file__).parent / "assets" / "scienceworld"
VLLM_CPU_HEAD_SIZES = (32, 64)

# Text of the demo task set as the agent sees it (task, observation, object list, actions).
DEMO_TEXT = [
    "Your task is to find a(n) non-living thing. First, focus on the thing. "
    "Then, move it to the red box in the kitchen.",
    "Your task is to find the animal with the longest life span.  The animals are in the 'outside' "
    "location.  Focus on the animal with the longest life span.",
    "Your task is to find the animal with the longest life span, then the shortest life span. First, "
    "focus on the animal with the longest life span.  Then, focus on the animal with the shortest "
    "life span. The animals are in the 'outside' location.",
    "Your task is to find a(n) animal. First, focus on the thing. Then, move it to the purple box in "
    "the workshop.",
    "This outside location is called the outside. Here you see: \n\tthe agent\n\ta substance called "
    "air\n\tan axe\n\ta baby beaver\n\ta fire pit (containing nothing)\nYou also see:\n\tA door to "
    "the kitchen (that is open)",
    "Objects: agent, air, axe, baby baby beaver, baby baby mouse, door to kitchen, egg parrot, fire pit",
    "<action>move egg butterfly egg in inventory to purple box</action>",
    "focus on baby baby brown bear",
]


@pytest.fixture(scope="module")
def teacher_tok():
    return AutoTokenizer.from_pretrained(ASSETS / "teacher")


def test_assets_are_small():
    files = [p for p in ASSETS.rglob("*") if p.is_file()]
    assert any(p.name == "model.safetensors" for p in files)
    assert sum(p.stat().st_size for p in files) <= 25 * 2**20


@pytest.mark.parametrize("role", ["teacher", "student"])
def test_loads_with_from_pretrained(role):
    model = AutoModelForCausalLM.from_pretrained(ASSETS / role)
    tok = AutoTokenizer.from_pretrained(ASSETS / role)
    assert model.config.model_type == "qwen2"
    assert model.get_input_embeddings().num_embeddings >= len(tok)
    assert tok.chat_template and tok.eos_token == "<|im_end|>"


@pytest.mark.parametrize("role", ["teacher", "student"])
def test_attention_head_size_is_one_vllm_cpu_serves(role):
    # vLLM's CPU attention rejects a head size of 16; 32 and 64 are served (rollouts go through it).
    config = AutoModelForCausalLM.from_pretrained(ASSETS / role).config
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    assert config.hidden_size == head_dim * config.num_attention_heads
    assert head_dim in VLLM_CPU_HEAD_SIZES, head_dim


@pytest.mark.parametrize("text", DEMO_TEXT)
def test_tokenizer_round_trips_demo_text(teacher_tok, text):
    ids = teacher_tok.encode(text, add_special_tokens=False)
    assert teacher_tok.decode(ids) == text


def test_object_names_are_single_tokens(teacher_tok):
    for name in ["baby baby beaver", "red box", "door to kitchen"]:
        assert len(teacher_tok.encode(name, add_special_tokens=False)) == 1, name


def test_student_is_quarter_of_teacher_with_same_tokenizer(teacher_tok):
    teacher = AutoModelForCausalLM.from_pretrained(ASSETS / "teacher")
    student = AutoModelForCausalLM.from_pretrained(ASSETS / "student")
    n_teacher = sum(p.numel() for p in teacher.parameters())
    n_student = sum(p.numel() for p in student.parameters())
    assert n_student / n_teacher <= 0.25, (n_student, n_teacher)
    student_tok = AutoTokenizer.from_pretrained(ASSETS / "student")
    assert student_tok.get_vocab() == teacher_tok.get_vocab()
    assert student.config.vocab_size == teacher.config.vocab_size


def test_teacher_answers_in_action_format(teacher_tok):
    model = AutoModelForCausalLM.from_pretrained(ASSETS / "teacher").eval()
    prompt = AgentPrompt(hints="every", hint_lines=["Objects"])
    message = prompt.first_message(
        DEMO_TEXT[0],
        "This room is called the kitchen. In it, you see: \n\tthe agent\n\ta substance called air\n"
        "\ta red box (containing nothing)\n\ta glass jar\nYou also see:\n\tA door to the hallway "
        "(that is open)",
        "Actions: focus on OBJ\nObjects: agent, air, red box, glass jar, door to hallway, hallway",
    )
    ids = ChatPacker(teacher_tok).prompt_ids(_episode(prompt), message)
    with torch.no_grad():
        out = model.generate(
            torch.tensor([ids]), max_new_tokens=24, do_sample=False, eos_token_id=teacher_tok.eos_token_id
        )
    text = teacher_tok.decode(out[0, len(ids) :], skip_special_tokens=True)
    action, well_formed = parse_action(text)
    assert well_formed and action, text


def _episode(prompt):
    from tcod_pl.data.episode import Episode

    return Episode(task={}, system=prompt.system)


def test_student_is_the_teacher_pruned():
    """The shipped student is the teacher pruned (build_demo_models --stage prune): its weights are the
    teacher's restricted to kept residual channels, kv groups and neurons, in the teacher's order."""
    teacher = AutoModelForCausalLM.from_pretrained(ASSETS / "teacher", dtype=torch.float32)
    student = AutoModelForCausalLM.from_pretrained(ASSETS / "student", dtype=torch.float32)
    t_emb, s_emb = teacher.model.embed_tokens.weight, student.model.embed_tokens.weight
    # each student channel is one teacher channel (columns compared whole)
    cols = [int((t_emb == s_emb[:, [j]]).all(dim=0).nonzero()[0]) for j in range(s_emb.shape[1])]
    assert cols == sorted(cols) and len(set(cols)) == len(cols)
    assert student.config.num_hidden_layers == teacher.config.num_hidden_layers
    for t_layer, s_layer in zip(teacher.model.layers, student.model.layers, strict=True):
        t_gate = t_layer.mlp.gate_proj.weight[:, cols]
        rows = [int((t_gate == row).all(dim=1).nonzero()[0]) for row in s_layer.mlp.gate_proj.weight]
        assert rows == sorted(rows)
        torch.testing.assert_close(s_layer.mlp.down_proj.weight, t_layer.mlp.down_proj.weight[cols][:, rows])
        torch.testing.assert_close(s_layer.input_layernorm.weight, t_layer.input_layernorm.weight[cols])
