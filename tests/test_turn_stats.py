"""The typed per-turn statistics: TurnKL from per-token log-probs, summed over a step by StepTurnStats."""

import math

import pytest
import torch

from tcod_pl.turn_stats import OUTPUT_KEY, StepTurnStats, TokenTurns, TurnKL


def test_turn_kl_sums_by_episode_and_turn_against_a_hand_computation():
    # Episode 0: turns 0, 1; episode 3: turns 0, 2 (episode ids need not be contiguous).
    episode = torch.tensor([0, 0, 0, 3, 3, 3, 3])
    turn = torch.tensor([0, 0, 1, 0, 2, 2, 2])
    lp_s = torch.tensor([-1.0, -2.0, -0.5, -1.0, -3.0, -1.0, -2.0])
    lp_t = torch.tensor([-2.0, -2.5, -0.1, -4.0, -1.0, -1.0, -6.0])
    stats = TurnKL.compute(lp_s, lp_t, TokenTurns(episode, turn), support_threshold=0.1)
    kl = (lp_s - lp_t).tolist()
    turns = {(0, 0): kl[0] + kl[1], (0, 1): kl[2], (3, 0): kl[3], (3, 2): kl[4] + kl[5] + kl[6]}
    assert stats.turn_kl.tolist() == pytest.approx([turns[k] for k in sorted(turns)])
    assert stats.traj_kl.tolist() == pytest.approx([turns[0, 0] + turns[0, 1], turns[3, 0] + turns[3, 2]])
    assert stats.by_turn.kl_mean() == pytest.approx(
        [(turns[0, 0] + turns[3, 0]) / 2, turns[0, 1], turns[3, 2]]
    )
    low = [math.exp(v) < 0.1 for v in lp_t.tolist()]  # tokens 1, 3 and 6
    assert stats.by_turn.tokens.tolist() == [3, 1, 3]
    assert stats.by_turn.low_support_rate() == pytest.approx(
        [sum(low[i] for i in (0, 1, 3)) / 3, float(low[2]), sum(low[i] for i in (4, 5, 6)) / 3]
    )
    assert stats.low_support.item() == pytest.approx(sum(low) / len(low))
    assert TurnKL.from_outputs({"loss": 0, OUTPUT_KEY: stats}) is stats
    assert TurnKL.from_outputs({"loss": 0}) is None and TurnKL.from_outputs(None) is None


def test_step_stats_add_batches_of_different_depths_and_survive_a_checkpoint():
    def batch(kls):
        n = len(kls)
        return TurnKL.compute(
            torch.tensor(kls),
            torch.zeros(n),
            TokenTurns(torch.zeros(n, dtype=torch.long), torch.arange(n)),
            0.5,
        )

    step = StepTurnStats()
    assert step.empty and math.isnan(step.traj_kl_mean())
    step.add(batch([1.0, 2.0]))
    step.add(batch([3.0]))
    step.add(None)
    assert step.kl_by_turn() == pytest.approx([2.0, 2.0])
    assert step.traj_kl_mean() == pytest.approx((3.0 + 3.0) / 2)
    restored = StepTurnStats()
    restored.load_state_dict(step.state_dict())
    assert restored.kl_by_turn() == step.kl_by_turn() and restored.traj_kl_mean() == step.traj_kl_mean()
    # The names checkpoints have always used for these sums.
    assert set(step.state_dict()["sums"]) == {
        "kl_by_turn_sum",
        "kl_by_turn_count",
        "low_support_by_turn_sum",
        "tokens_by_turn",
    }
