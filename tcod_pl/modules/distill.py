"""On-policy distillation: a trainable student, a frozen teacher, a per-token KL loss."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable

from tcod_pl.errors import ConfigError
from tcod_pl.losses import DistillationLoss, ForwardKL, SampledReverseKL
from tcod_pl.models.loading import LoraOptions, check_same_vocabulary, load_causal_lm, load_tokenizer
from tcod_pl.modules.base import CausalLMModule
from tcod_pl.turn_stats import OUTPUT_KEY, TokenTurns, TurnKL

TEACHER_PREFIX = "teacher."


@dataclass
class Scored:
    """A batch scored by student and teacher: the loss and the log-probs of the supervised tokens."""

    loss: torch.Tensor
    lp_student: torch.Tensor  # log pS(y) of each supervised token (no grad)
    lp_teacher: torch.Tensor  # log pT(y), at the teacher temperature
    where: TokenTurns  # each token's episode and turn
    on_policy: torch.Tensor  # each token: sampled by the student (False: a demonstration)

    def sampled(self) -> Scored:
        """The tokens the student sampled: what the KL statistics and the curriculum describe."""
        if bool(self.on_policy.all()):
            return self
        keep = self.on_policy
        where = TokenTurns(self.where.episode[keep], self.where.turn[keep])
        return Scored(self.loss, self.lp_student[keep], self.lp_teacher[keep], where, keep[keep])


class DistillationModule(CausalLMModule):
    """Student learns from the teacher's per-token log-probs on the student's own turns.

    The teacher is frozen (eval mode, no grad, not in the optimizer) and is not written into
    checkpoints: a checkpoint holds the student and the training state; the teacher is reloaded
    from ``teacher``.

    ``off_policy_loss``: the estimator on demonstration tokens, which the student did not sample
    (mixed in by ``data.on_policy_fraction`` < 1, GKD's lambda). None: ``loss`` itself when it is a
    full-vocabulary divergence, ``ForwardKL`` when ``loss`` needs the student's own samples
    (``SampledReverseKL``). The two parts are weighted by their token counts.
    """

    def __init__(
        self,
        student: str,
        teacher: str,
        loss: DistillationLoss | None = None,
        off_policy_loss: DistillationLoss | None = None,
        teacher_temperature: float = 1.0,
        support_threshold: float = 0.01,
        lora: LoraOptions | None = None,
        optimizer: OptimizerCallable | None = None,
        lr_scheduler: LRSchedulerCallable | None = None,
        dtype: str = "float32",
        trust_remote_code: bool = False,
        gradient_checkpointing: bool = False,
    ):
        if not teacher_temperature > 0:  # checked before loading two models; also rejects NaN
            raise ConfigError(
                f"model.init_args.teacher_temperature must be > 0 (it divides the teacher's logits; "
                f"1.0 = the teacher as is), got {teacher_temperature}"
            )
        super().__init__(
            student,
            lora=lora,
            optimizer=optimizer,
            lr_scheduler=lr_scheduler,
            dtype=dtype,
            trust_remote_code=trust_remote_code,
            gradient_checkpointing=gradient_checkpointing,
            role="student",
        )
        self.save_hyperparameters(ignore=["loss", "off_policy_loss", "lora", "optimizer", "lr_scheduler"])
        check_same_vocabulary(
            self.tokenizer, load_tokenizer(teacher, "teacher", trust_remote_code), student, teacher
        )
        self.teacher = load_causal_lm(teacher, "teacher", dtype, trust_remote_code)
        self.teacher.eval().requires_grad_(False)
        self.loss_fn = loss if loss is not None else SampledReverseKL()
        if off_policy_loss is None:
            off_policy_loss = (
                ForwardKL(self.loss_fn.aggregation) if self.loss_fn.needs_samples else self.loss_fn
            )
        if off_policy_loss.needs_samples:
            raise ConfigError(
                f"model.init_args.off_policy_loss {type(off_policy_loss).__name__} needs tokens the "
                "student sampled; demonstrations need a full-vocabulary divergence (ForwardKL, ReverseKL, "
                "GeneralizedJSD, TopKForwardKL)"
            )
        self.off_policy_loss_fn = off_policy_loss
        self.teacher_temperature = teacher_temperature
        self.support_threshold = support_threshold

    # The trainer switches every submodule to train mode each epoch; the teacher stays in eval.
    def train(self, mode: bool = True) -> DistillationModule:
        super().train(mode)
        self.teacher.eval()
        return self

    # ----- checkpoints hold the student only ------------------------------------------------------
    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        sd = super().state_dict(*args, **kwargs)
        prefix = kwargs.get("prefix", "") + TEACHER_PREFIX
        for key in [k for k in sd if k.startswith(prefix)]:
            del sd[key]
        return sd

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> Any:
        result = super().load_state_dict(state_dict, strict=False, assign=assign)
        missing = [k for k in result.missing_keys if not k.startswith(TEACHER_PREFIX)]
        if strict and (missing or result.unexpected_keys):
            raise RuntimeError(
                f"Checkpoint does not match the student: missing {missing[:5]}, unexpected {result.unexpected_keys[:5]}"
            )
        return result

    # ----- scoring ----------------------------------------------------------------------------------
    def score(self, batch: dict[str, torch.Tensor]) -> Scored:
        select, targets = self.supervised_positions(batch)
        student_logits = self.logits_at(self.student, batch, select)
        with torch.no_grad():
            teacher_logits = self.logits_at(self.teacher, batch, select) / self.teacher_temperature
        vocab = min(student_logits.shape[-1], teacher_logits.shape[-1])
        student_logits, teacher_logits = student_logits[:, :vocab], teacher_logits[:, :vocab]
        where = self.token_turns(batch, select)
        behaviour = batch["behaviour_logprobs"][:, 1:][select]
        _, turn_of_token = where.turn_ids()  # one id per (episode, turn): a "sequence" for aggregation
        if "on_policy" in batch:
            on_policy = batch["on_policy"][:, None].expand_as(select)[select]
        else:
            on_policy = torch.ones_like(targets, dtype=torch.bool)
        args = (student_logits, teacher_logits, targets, turn_of_token, behaviour)
        loss = self.mixed_loss(args, on_policy)
        with torch.no_grad():
            lp_s = F.log_softmax(student_logits, -1).gather(-1, targets[:, None]).squeeze(-1)
            lp_t = F.log_softmax(teacher_logits, -1).gather(-1, targets[:, None]).squeeze(-1)
        return Scored(loss, lp_s, lp_t, where, on_policy)

    def mixed_loss(self, args: tuple[torch.Tensor, ...], on_policy: torch.Tensor) -> torch.Tensor:
        """``loss`` on sampled tokens and ``off_policy_loss`` on demonstrations, by token share."""
        if self.off_policy_loss_fn is self.loss_fn or bool(on_policy.all()):
            return self.loss_fn(*args)  # one call: no copy of the logits
        if not bool(on_policy.any()):
            return self.off_policy_loss_fn(*args)
        n = on_policy.numel()
        parts = [
            fn(*(a[mask] for a in args)) * (mask.sum() / n)
            for fn, mask in ((self.loss_fn, on_policy), (self.off_policy_loss_fn, ~on_policy))
        ]
        return parts[0] + parts[1]

    def kl_stats(self, scored: Scored) -> TurnKL:
        """Per-turn KL (sum over a turn's tokens of log pS - log pT), trajectory KL, teacher support."""
        return TurnKL.compute(scored.lp_student, scored.lp_teacher, scored.where, self.support_threshold)

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> dict[str, Any]:
        if "filler" in batch:  # a zero-weight batch that keeps the ranks' updates in step (data.fillers)
            return {"loss": self.score(batch).loss * 0.0}
        everything = self.score(batch)
        scored = everything.sampled()  # demonstrations train; the KL figures describe the student's own
        stats = self.kl_stats(scored)
        n_tok = int(scored.lp_student.numel())
        n_demo = int((~everything.on_policy).sum())
        if n_demo:
            self.log("train/demonstration_tokens", float(n_demo), reduce_fx="sum", batch_size=1)
        n_ep = max(1, int(stats.traj_kl.numel()))
        self.log("train/loss", scored.loss, prog_bar=True, batch_size=max(1, n_tok + n_demo))
        if n_tok:
            self.log("train/traj_kl", stats.traj_kl.mean(), prog_bar=True, batch_size=n_ep)
            self.log("train/turn_kl", stats.turn_kl.mean(), batch_size=max(1, stats.turn_kl.numel()))
            self.log("train/token_kl", (scored.lp_student - scored.lp_teacher).mean(), batch_size=n_tok)
            self.log("train/teacher_low_support", stats.low_support, batch_size=n_tok)
        self.log("train/supervised_tokens", float(n_tok), reduce_fx="sum", batch_size=1)
        first = batch["episode_first"] & batch.get("on_policy", torch.ones_like(batch["episode_first"]))
        if first.any():
            # Outcomes and response statistics of this step's student rollouts (success, invalid rate,
            # whitespace / repeated tokens, copying rate, ...): a degenerate student shows here.
            for key in [k for k in batch if k.startswith("outcome_")]:
                values = batch[key][first]
                values = values[~values.isnan()]
                if values.numel():
                    self.log(f"train/{key[8:]}", values.mean(), batch_size=values.numel())
        return {"loss": scored.loss, OUTPUT_KEY: stats}

    def _eval_step(self, stage: str, batch: dict[str, torch.Tensor]) -> None:
        self.update_outcomes(stage, batch)
        if not batch["loss_mask"].any():
            return
        scored = self.score(batch)
        stats = self.kl_stats(scored)
        n_tok = scored.lp_student.numel()
        self.log(f"{stage}/traj_kl", stats.traj_kl.mean(), batch_size=max(1, stats.traj_kl.numel()))
        self.log(f"{stage}/teacher_low_support", stats.low_support, batch_size=max(1, n_tok))
        # Per-token KL(student || teacher) on the panel's own episodes (teacher-forced, full depth),
        # overall and by turn index: Lightning weights each batch by its token count.
        self.log(
            f"{stage}/token_kl", (scored.lp_student - scored.lp_teacher).mean(), batch_size=max(1, n_tok)
        )
        for t, (total, count) in enumerate(zip(stats.by_turn.kl_sum, stats.by_turn.tokens)):
            if count > 0:
                self.log(f"{stage}_token_kl/turn_{t:02d}", total / count, batch_size=int(count))

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._eval_step("val", batch)

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._eval_step("test", batch)
