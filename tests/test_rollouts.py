"""Online rollouts on the real ScienceWorld with tiny random models."""

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from tcod_pl.curriculum.rules import B2F, F2B, Expert, Full
from tcod_pl.data.packing import ChatPacker
from tcod_pl.envs import EnvPool, ScienceWorldConfig
from tcod_pl.rollout.policy import HFPolicy
from tcod_pl.rollout.prompting import AgentPrompt, parse_action
from tcod_pl.rollout.runner import RolloutRunner

TASK = "find-non-living-thing"


@pytest.fixture(scope="module")
def env_config():
    return ScienceWorldConfig(task_names=[TASK])


@pytest.fixture(scope="module")
def pool(env_config):
    with EnvPool(env_config, num_workers=2) as p:
        yield p


@pytest.fixture(scope="module")
def runner(pool, tiny_models):
    tok = AutoTokenizer.from_pretrained(tiny_models["student"])
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(tiny_models["student"])
    policy = HFPolicy(max_new_tokens=12)
    policy.bind(model, tok)
    return RolloutRunner(pool, policy, ChatPacker(tok), AgentPrompt(hints="none"))


def test_f2b_truncates_after_k_student_turns_all_supervised(runner, env_config):
    tasks = env_config.tasks("train")[:3]
    episodes = runner.run(tasks, F2B(3, max_turns=30))
    assert len(episodes) == 3
    for ep in episodes:
        assert not ep.failed
        assert 1 <= len(ep.turns) <= 3 and all(t.supervised and t.response_ids for t in ep.turns)
        if not ep.turns[-1].done:
            assert len(ep.turns) == 3  # cut by depth, not by the environment


def test_b2f_replays_expert_prefix_and_supervises_only_student_turns(runner, pool, env_config):
    task = env_config.tasks("train")[0]
    [gold] = pool.expert_actions([task])
    length = len(gold)
    assert length >= 3
    [ep] = runner.run([task], B2F(2, max_turns=length), experts=[gold])
    replayed = ep.turns[: length - 2]
    assert ep.expert_prefix == length - 2
    assert [parse_action(t.response)[0] for t in replayed] == gold[: length - 2]
    assert not any(t.supervised for t in replayed) and all(t.response_ids is None for t in replayed)
    student = ep.turns[length - 2 :]
    assert 1 <= len(student) <= 2 and all(t.supervised and t.response_ids is not None for t in student)


def test_b2f_replay_that_finishes_the_task_has_no_training_turns(runner, pool, env_config):
    task = env_config.tasks("train")[0]
    [gold] = pool.expert_actions([task])
    [ep] = runner.run([task], B2F(1, max_turns=30), experts=[gold + ["look around"]])
    assert ep.success and ep.num_supervised == 0 and ep.expert_prefix == len(gold)


def test_eval_rule_ignores_depth_and_runs_to_max_turns(runner, env_config):
    tasks = env_config.tasks("dev")[:2]
    episodes = runner.run(tasks, Full(max_turns=5), temperature=0.4)
    for ep in episodes:
        assert ep.turns[-1].done or len(ep.turns) == 5
        assert ep.expert_prefix == 0


def test_expert_mode_replays_gold_and_succeeds(runner, pool, env_config):
    tasks = env_config.tasks("train")[:2]
    gold = pool.expert_actions(tasks)
    episodes = runner.run(tasks, Expert(max_turns=50), experts=gold)
    for ep, g in zip(episodes, gold):
        assert ep.success and ep.score == 100
        assert [t.action for t in ep.turns] == g and all(t.supervised for t in ep.turns)


def test_behaviour_logprobs_match_teacher_forced_forward(tiny_models):
    tok = AutoTokenizer.from_pretrained(tiny_models["student"])
    model = AutoModelForCausalLM.from_pretrained(tiny_models["student"]).train()
    policy = HFPolicy(max_new_tokens=10, stop_strings=[])
    policy.bind(model, tok)
    prompts = [
        tok("You see a door", add_special_tokens=False)["input_ids"],
        tok("Task: find the apple in the kitchen now", add_special_tokens=False)["input_ids"],
    ]
    torch.manual_seed(1)
    gens = policy.generate(prompts, temperature=1.0)
    assert model.training  # restored after generation
    for prompt, gen in zip(prompts, gens):
        assert gen.token_ids and len(gen.logprobs) == len(gen.token_ids)
        ids = torch.tensor([prompt + gen.token_ids])
        with torch.no_grad():
            lp = torch.log_softmax(model.eval()(input_ids=ids).logits[0], -1)
        forced = [lp[len(prompt) + j - 1, t].item() for j, t in enumerate(gen.token_ids)]
        assert max(abs(a - b) for a, b in zip(forced, gen.logprobs)) < 1e-4


def test_parse_action_formats():
    assert parse_action("<think>hmm</think><action>open door</action>") == ("open door", True)
    assert parse_action("<action>look around") == ("look around", False)
    assert parse_action("go to kitchen\nmore") == ("go to kitchen", False)
    assert parse_action("<think>only thinking") == ("", False)


def test_score_is_the_best_reached_and_final_score_the_last(tiny_models):
    """Real ScienceWorld: gold steps raise the score, then focusing on the air fails the task (the
    engine's -100, clamped to 0). ``score`` keeps the best reached, ``final_score`` the last."""
    config = ScienceWorldConfig(task_names=["find-living-thing"], max_variations_per_task=1)
    task = config.tasks("train")[0]
    tok = AutoTokenizer.from_pretrained(tiny_models["student"])
    with EnvPool(config, num_workers=1) as pool:
        [gold] = pool.expert_actions([task])
        runner = RolloutRunner(pool, HFPolicy(), ChatPacker(tok), AgentPrompt(hints="none"))
        [ep] = runner.run([task], Expert(max_turns=30), experts=[[*gold[:2], "focus on air"]])
    scores = [t.score for t in ep.turns]
    assert ep.turns[-1].done and not ep.success and scores[-1] == 0.0
    assert max(scores) > 0 and ep.score == max(scores) and ep.final_score == 0.0
    [sample] = ChatPacker(tok).pack(ep, with_outcome=True)
    assert sample.outcome["score"] == max(scores) and sample.outcome["final_score"] == 0.0
    assert sample.outcome["success"] == 0.0


class RecordingPolicy(HFPolicy):
    """The real HF policy, keeping every prompt it was asked to continue."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.prompts: list[list[int]] = []

    def generate(self, prompts, temperature, top_p=1.0):
        self.prompts += [list(p) for p in prompts]
        return super().generate(prompts, temperature, top_p)


@pytest.mark.parametrize("context", ["summary", "history"])
def test_b2f_context_what_the_students_first_prompt_contains(pool, env_config, tiny_models, context):
    task = env_config.tasks("train")[0]
    [gold] = pool.expert_actions([task])
    replay = len(gold) - 2
    assert replay >= 3
    tok = AutoTokenizer.from_pretrained(tiny_models["student"])
    torch.manual_seed(0)
    policy = RecordingPolicy(max_new_tokens=8)
    policy.bind(AutoModelForCausalLM.from_pretrained(tiny_models["student"]), tok)
    packer = ChatPacker(tok)
    runner = RolloutRunner(pool, policy, packer, AgentPrompt(hints="first"), b2f_context=context)
    [ep] = runner.run([task], B2F(2, max_turns=len(gold)), experts=[gold])
    # the environment's action hints where the replay left it (same task, same actions)
    pool.reset([(0, task)])
    for action in gold[:replay]:
        pool.step([(0, action)])
    [hints_there] = pool.action_hints([0])
    first_prompt = tok.decode(policy.prompts[0])
    replayed = ep.turns[:replay]
    assert ep.expert_prefix == replay and [t.action for t in replayed] == gold[:replay]  # kept for the record
    assert not any(t.supervised for t in replayed) and all(t.supervised for t in ep.turns[replay:])
    if context == "summary":
        assert ep.chat_start == replay and len(ep.chat_turns) == len(ep.turns) - replay
        opening = ep.chat_turns[0].observation
        assert opening.startswith("Task: ") and f"{replay} steps were taken already" in opening
        # the last two replayed steps are summarised; earlier ones appear nowhere in the prompt
        assert (
            f"Step {replay - 1}: {gold[replay - 2]} -> " in opening
            and f"Step {replay}: {gold[replay - 1]}" in opening
        )
        assert f"Step {replay - 2}:" not in opening and opening in first_prompt
        shown = runner.prompt._hints(hints_there)  # (cut to max_hint_chars)
        assert opening.endswith(f"Available actions: {shown}")  # hints of the current state
        assert (
            first_prompt.count("<|im_start|>user") == 1
            and "<|im_start|>assistant\n<action>" not in first_prompt
        )
    else:
        assert ep.chat_start == 0 and first_prompt.count("<|im_start|>user") == replay + 1
        for action in gold[:replay]:
            assert f"<action>{action}</action>" in first_prompt
    # packing and scoring see exactly the tokens the student was conditioned on, and only its turns
    [sample] = packer.pack(ep)
    assert sample.input_ids[: len(policy.prompts[0])] == policy.prompts[0]
    supervised_turns = {t for t, m in zip(sample.turn_index, sample.loss_mask) if m}
    assert supervised_turns == set(range(replay, len(ep.turns)))
    assert not any(m for t, m in zip(sample.turn_index, sample.loss_mask) if t < replay)
    for t, prompt in enumerate(policy.prompts[1:], start=1):  # later student turns extend the chat
        assert sample.input_ids[: len(prompt)] == prompt, t


def test_b2f_summary_replay_that_finishes_the_task_supervises_nothing(runner, pool, env_config):
    task = env_config.tasks("train")[0]
    [gold] = pool.expert_actions([task])
    [ep] = runner.run([task], B2F(1, max_turns=30), experts=[gold + ["look around"]])
    assert ep.success and ep.chat_start == len(ep.turns) and not ep.chat_turns
    [sample] = runner.packer.pack(ep, with_outcome=True)  # still one sample: outcomes, batch count
    assert not any(sample.loss_mask) and sample.outcome["success"] == 1.0


def test_student_samples_its_end_of_turn_token_and_it_is_supervised(pool, env_config):
    """As in the reference, a turn ends when the student samples the end-of-turn token; that token
    is part of the response and of the loss, and every later prompt still extends the packed chat."""
    student = "tcod_pl/assets/scienceworld/student"  # the embedded student, which ends its turns
    tok = AutoTokenizer.from_pretrained(student)
    torch.manual_seed(0)
    policy = RecordingPolicy(max_new_tokens=24)
    policy.bind(AutoModelForCausalLM.from_pretrained(student), tok)
    packer = ChatPacker(tok)
    assert packer.packs and packer.end_of_turn_id == tok.eos_token_id
    runner = RolloutRunner(pool, policy, packer, AgentPrompt(hints="every", hint_lines=["Objects"]))
    episodes = runner.run(env_config.tasks("train")[:2], F2B(3, max_turns=30))
    ended = [t for ep in episodes for t in ep.turns if len(t.response_ids) < 24]
    assert ended and all(t.response_ids[-1] == packer.end_of_turn_id for t in ended)
    assert all(packer.end_of_turn_id not in t.response_ids[:-1] for ep in episodes for t in ep.turns)
    samples = packer.pack_many(episodes)
    assert len(samples) == len(episodes)  # packed: one sequence per episode, prefix-stable
    for ep, sample in zip(episodes, samples):
        ends = [
            i
            for i, (tid, m) in enumerate(zip(sample.input_ids, sample.loss_mask))
            if m and tid == packer.end_of_turn_id
        ]
        assert len(ends) == sum(t.response_ids[-1] == packer.end_of_turn_id for t in ep.turns)
        # each supervised end of turn is followed by the next user message, never a second copy
        assert all(sample.input_ids[i + 1 : i + 2] != [packer.end_of_turn_id] for i in ends)
    for prompt in policy.prompts:  # every prompt the student saw is a prefix of its packed episode
        assert any(s.input_ids[: len(prompt)] == prompt for s in samples)


@pytest.mark.parametrize("every", [False, True])
def test_task_line_is_restated_in_every_message_when_asked(pool, env_config, tiny_models, every):
    """``task_every_turn`` (the paper's prompt): each later user message opens with the task line,
    so a detail it names (the box's colour, the room) stays next to the turn that needs it."""
    tok = AutoTokenizer.from_pretrained(tiny_models["student"])
    policy = HFPolicy(max_new_tokens=6)
    policy.bind(AutoModelForCausalLM.from_pretrained(tiny_models["student"]), tok)
    prompt = AgentPrompt(hints="every", hint_lines=["Objects"], task_every_turn=every)
    [ep] = RolloutRunner(pool, policy, ChatPacker(tok), prompt).run(
        env_config.tasks("dev")[:1], Full(max_turns=3)
    )
    assert len(ep.turns) == 3
    task = ep.turns[0].observation.splitlines()[0]
    assert task.startswith("Task: Your task is to find a(n) non-living thing.")
    for turn in ep.turns[1:]:
        lines = turn.observation.splitlines()
        assert (lines[0] == task) is every
        assert lines[int(every)].startswith("Observation: ")
        assert sum("Objects:" in line for line in lines) == 1
