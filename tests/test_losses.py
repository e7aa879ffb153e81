import math

import pytest
import torch

from tcod_pl.losses import ForwardKL, GeneralizedJSD, ReverseKL, SampledReverseKL, TopKForwardKL, aggregate

P_S = [0.5, 0.3, 0.2]  # student
P_T = [0.2, 0.2, 0.6]  # teacher


def logits(p):
    return torch.log(torch.tensor([p], dtype=torch.float64))


def kl(p, q):
    return sum(a * math.log(a / b) for a, b in zip(p, q))


def test_reverse_and_forward_kl_match_hand_values():
    s, t, y = logits(P_S), logits(P_T), torch.tensor([0])
    assert ReverseKL()(s, t, y).item() == pytest.approx(kl(P_S, P_T), abs=1e-6)
    assert ForwardKL()(s, t, y).item() == pytest.approx(kl(P_T, P_S), abs=1e-6)
    # 0.5 ln(2.5) + 0.3 ln(1.5) + 0.2 ln(1/3), written out
    assert kl(P_S, P_T) == pytest.approx(0.5 * math.log(2.5) + 0.3 * math.log(1.5) + 0.2 * math.log(1 / 3))


def test_generalized_jsd_endpoints_and_midpoint():
    s, t, y = logits(P_S), logits(P_T), torch.tensor([0])
    assert GeneralizedJSD(beta=0.0)(s, t, y).item() == pytest.approx(kl(P_T, P_S), abs=1e-6)
    assert GeneralizedJSD(beta=1.0)(s, t, y).item() == pytest.approx(kl(P_S, P_T), abs=1e-6)
    m = [0.5 * a + 0.5 * b for a, b in zip(P_T, P_S)]
    expected = 0.5 * kl(P_T, m) + 0.5 * kl(P_S, m)
    assert GeneralizedJSD(beta=0.5)(s, t, y).item() == pytest.approx(expected, abs=1e-6)
    beta = 0.3
    m = [beta * a + (1 - beta) * b for a, b in zip(P_T, P_S)]
    expected = beta * kl(P_T, m) + (1 - beta) * kl(P_S, m)
    assert GeneralizedJSD(beta=beta)(s, t, y).item() == pytest.approx(expected, abs=1e-6)


def test_topk_forward_kl_renormalises_teacher():
    s, t, y = logits(P_S), logits(P_T), torch.tensor([0])
    # top-2 of teacher: tokens 2 (0.6) and one of the 0.2s; renormalised 0.75 / 0.25
    value = TopKForwardKL(k=2)(s, t, y).item()
    top = torch.tensor(P_T).topk(2).indices.tolist()
    pt = [P_T[i] / sum(P_T[i] for i in top) for i in top]
    expected = sum(p * math.log(p / P_S[i]) for p, i in zip(pt, top))
    assert value == pytest.approx(expected, abs=1e-6)
    assert TopKForwardKL(k=3)(s, t, y).item() == pytest.approx(kl(P_T, P_S), abs=1e-6)


def test_sampled_reverse_kl_value_is_minus_advantage_times_logp():
    s, t = logits(P_S).repeat(2, 1), logits(P_T).repeat(2, 1)
    y = torch.tensor([0, 2])
    per_tok = [-(math.log(P_T[i]) - math.log(P_S[i])) * math.log(P_S[i]) for i in (0, 2)]
    assert SampledReverseKL()(s, t, y).item() == pytest.approx(sum(per_tok) / 2, abs=1e-6)


def test_sampled_estimator_expected_gradient_is_reverse_kl_gradient():
    torch.manual_seed(0)
    theta = torch.tensor([0.3, -0.2, 0.8, 0.0], dtype=torch.float64, requires_grad=True)
    teacher = torch.tensor([[1.0, 0.5, -1.0, 0.2]], dtype=torch.float64)
    n = 400_000
    with torch.no_grad():
        samples = torch.distributions.Categorical(logits=theta).sample((n,))
    mc = SampledReverseKL()(theta.expand(n, -1), teacher.expand(n, -1), samples)
    (g_mc,) = torch.autograd.grad(mc, theta)
    exact = ReverseKL()(theta[None], teacher, torch.tensor([0]))
    (g_exact,) = torch.autograd.grad(exact, theta)
    assert g_exact.abs().max() > 0.1  # a gradient worth comparing
    assert torch.allclose(g_mc, g_exact, atol=0.01), (g_mc, g_exact)
    # wrong sign or scale would fail
    assert not torch.allclose(-g_mc, g_exact, atol=0.05)
    assert not torch.allclose(2 * g_mc, g_exact, atol=0.05)


def test_clipped_ratio_against_behaviour_clips_and_dual_clips():
    s = logits(P_S).requires_grad_(True)
    t, y = logits(P_T), torch.tensor([0])
    loss = SampledReverseKL(clip_ratio=0.2, ratio_to="behaviour")
    on = loss(s, t, y, behaviour_logprobs=torch.tensor([math.log(0.5)]))
    plain = SampledReverseKL()(s, t, y)
    # on-policy (ratio 1) the surrogate differs in value but has the same gradient
    (g_on,) = torch.autograd.grad(on, s)
    (g_plain,) = torch.autograd.grad(plain, s)
    assert torch.allclose(g_on, g_plain, atol=1e-9)
    a = math.log(0.2) - math.log(0.5)  # A < 0
    # behaviour prob 0.25 -> ratio 2: max(-2A, -1.2A) = -2A, under the dual cap -3A
    off = loss(s, t, y, behaviour_logprobs=torch.tensor([math.log(0.25)]))
    assert off.item() == pytest.approx(max(-2 * a, -1.2 * a), abs=1e-6)
    # behaviour prob 0.05 -> ratio 10: the dual clip caps -10A at -3A, and its gradient is zero
    capped = loss(s, t, y, behaviour_logprobs=torch.tensor([math.log(0.05)]))
    assert capped.item() == pytest.approx(-3 * a, abs=1e-6)
    (g_capped,) = torch.autograd.grad(capped, s)
    assert g_capped.abs().max() == 0
    assert SampledReverseKL(clip_ratio=0.2, clip_ratio_c=5.0, ratio_to="behaviour")(
        s, t, y, behaviour_logprobs=torch.tensor([math.log(0.05)])
    ).item() == pytest.approx(-5 * a, abs=1e-6)
    # a positive advantage is never dual-clipped: A' = ln .6 - ln .2 > 0 on token 2, ratio 10 -> 1.2
    y2 = torch.tensor([2])
    a2 = math.log(0.6) - math.log(0.2)
    pos = loss(s, t, y2, behaviour_logprobs=torch.tensor([math.log(0.02)]))
    assert pos.item() == pytest.approx(-1.2 * a2, abs=1e-6)
    # the log-ratio is clamped to 20 before exp(): a -inf behaviour log-prob stays finite
    huge = loss(s, t, y, behaviour_logprobs=torch.tensor([-1e4]))
    assert torch.isfinite(huge) and huge.item() == pytest.approx(-3 * a, abs=1e-6)


def test_clipped_ratio_against_recomputed_logprobs_ignores_stale_behaviour():
    """The reference's default: the ratio is to this forward's own log-probs, so r = 1 whatever the
    behaviour log-probs say; with one update per batch the clipped and plain gradients agree."""
    s = logits(P_S).requires_grad_(True)
    t, y = logits(P_T), torch.tensor([0])
    stale = torch.tensor([math.log(0.05)])  # ratio 10 against the behaviour policy
    clipped = SampledReverseKL(clip_ratio=0.2)(s, t, y, behaviour_logprobs=stale)
    (g_clipped,) = torch.autograd.grad(clipped, s)
    (g_plain,) = torch.autograd.grad(SampledReverseKL()(s, t, y), s)
    assert g_plain.abs().max() > 0.1
    assert torch.allclose(g_clipped, g_plain, atol=1e-12)
    with pytest.raises(ValueError, match="ratio_to"):
        SampledReverseKL(clip_ratio=0.2, ratio_to="generation")
    with pytest.raises(ValueError, match="clip_ratio_c"):
        SampledReverseKL(clip_ratio=0.2, clip_ratio_c=1.0)


def test_seq_mean_token_mean_weights_turns_equally():
    values = torch.tensor([1.0, 1.0, 1.0, 4.0])
    groups = torch.tensor([0, 0, 0, 1])
    assert aggregate(values, groups, "token-mean").item() == pytest.approx(7 / 4)
    assert aggregate(values, groups, "seq-mean-token-mean").item() == pytest.approx((1 + 4) / 2)


@pytest.mark.parametrize(
    "bad",
    [
        lambda: GeneralizedJSD(beta=1.5),
        lambda: TopKForwardKL(k=0),
        lambda: SampledReverseKL(aggregation="mean"),
    ],
)
def test_invalid_parameters_raise(bad):
    with pytest.raises(ValueError):
        bad()
