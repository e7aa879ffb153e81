"""On-policy distillation: a trainable student, a frozen teacher, a per-token KL loss."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import nn

from tcod_pl.errors import ConfigError
from tcod_pl.losses import DistillationLoss, ForwardKL, SampledReverseKL, TopKForwardKL
from tcod_pl.models.loading import LoraOptions
from tcod_pl.models.sharding import fsdp_mesh, is_sharded, shard
from tcod_pl.modules.base import CausalLMModule
from tcod_pl.teachers import HFTeacher, Teacher
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

    ``teacher``: a :class:`~tcod_pl.teachers.Teacher` (YAML ``class_path``: ``HFTeacher``,
    ``VLLMTeacher``, ``ServedTeacher``), or a model id / path, which is an ``HFTeacher`` with this
    module's ``dtype``, ``trust_remote_code`` and ``attn_implementation`` (transformers': sdpa, eager,
    flash_attention_2, ...; None: the model's default). The module knows the teacher only through that
    door: it asks for the teacher's log-probs of the supervised tokens. The teacher is frozen and
    never written into checkpoints: a checkpoint holds the student and the training state.
    Estimators declare what of the teacher they read (``needs``); one that a teacher cannot feed
    (a full-vocabulary KL with a served teacher) is one error before anything trains.

    ``off_policy_loss``: the estimator on demonstration tokens, which the student did not sample
    (mixed in by ``data.on_policy_fraction`` < 1, GKD's lambda). None: ``loss`` itself when it is a
    full-vocabulary divergence, ``ForwardKL`` when ``loss`` needs the student's own samples
    (``SampledReverseKL``). The two parts are weighted by their token counts.
    """

    def __init__(
        self,
        student: str,
        teacher: str | Teacher,
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
        attn_implementation: str | None = None,
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
            attn_implementation=attn_implementation,
        )
        self.save_hyperparameters(ignore=["loss", "off_policy_loss", "lora", "optimizer", "lr_scheduler"])
        self.loss_fn = loss if loss is not None else SampledReverseKL()
        if isinstance(teacher, str):
            teacher = HFTeacher(teacher, dtype, trust_remote_code, attn_implementation)
        self._check_estimator(teacher, self.loss_fn, "loss")
        # Padding rows of an embedding (Qwen's are padded to a multiple of 128) are no tokens: both
        # distributions are over the tokenizer's vocabulary.
        self.vocab_size = len(self.tokenizer)
        rows = self.student.get_output_embeddings().weight.shape[0]
        if rows < self.vocab_size:
            raise ConfigError(
                f"student '{student}' has {rows} output rows but its tokenizer has {self.vocab_size} tokens: "
                "resize its embeddings (model.resize_token_embeddings) to the tokenizer"
            )
        teacher.bind(self.tokenizer, student, self.vocab_size, teacher_temperature)
        self.teacher = teacher
        self.off_policy_loss_fn = self._off_policy_loss(off_policy_loss)
        self.teacher_temperature = teacher_temperature
        self.support_threshold = support_threshold
        self._teacher_s = 0.0  # teacher seconds of the training step in progress
        self._batch_start: float | None = None
        self._train_s = 0.0

    @staticmethod
    def _check_estimator(teacher: Teacher, loss: DistillationLoss, option: str) -> None:
        why = teacher.cannot_give(loss.needs, loss.top_k)
        if why is not None:
            raise ConfigError(
                f"model.init_args.{option} {type(loss).__name__} needs {why}. With this teacher use "
                "tcod_pl.losses.SampledReverseKL (the paper's), or TopKForwardKL with k <= the teacher's "
                "top_k (model.init_args.teacher.init_args.top_k); the full-vocabulary estimators (ReverseKL, "
                "ForwardKL, GeneralizedJSD) need an in-process teacher (model.init_args.teacher: <model path>)"
            )

    def _off_policy_loss(self, chosen: DistillationLoss | None) -> DistillationLoss | None:
        """The estimator on demonstration tokens; None: this teacher gives none that fits."""
        if chosen is None:
            if not self.loss_fn.needs_samples:
                return self.loss_fn
            level, top_k = self.teacher.provides()
            if level == "full":
                chosen = ForwardKL(self.loss_fn.aggregation)
            elif top_k:
                chosen = TopKForwardKL(top_k, self.loss_fn.aggregation)
            else:
                return None  # an error if demonstrations ever come (data.on_policy_fraction < 1)
        if chosen.needs_samples:
            raise ConfigError(
                f"model.init_args.off_policy_loss {type(chosen).__name__} needs tokens the "
                "student sampled; demonstrations need a full-vocabulary divergence (ForwardKL, ReverseKL, "
                "GeneralizedJSD, TopKForwardKL)"
            )
        self._check_estimator(self.teacher, chosen, "off_policy_loss")
        return chosen

    def configure_model(self) -> None:
        """The student sharded (FSDP2Strategy), and an in-process teacher too: frozen, by layer."""
        super().configure_model()
        mesh = getattr(self, "_device_mesh", None)
        teacher = getattr(self.teacher, "model", None)
        if mesh is not None and isinstance(teacher, nn.Module) and not is_sharded(teacher):
            shard(teacher, fsdp_mesh(mesh))
            # Checkpoints hold no teacher; the sharded load walks the module's own parameters
            # (not this module's load_state_dict), so strictness would ask for the teacher's.
            self.strict_loading = False

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
        logits = self.logits_at(self.student, batch, select)[:, : self.vocab_size]
        student_logp = F.log_softmax(logits, -1)  # the only log-softmax of the student's logits
        start = time.perf_counter()
        teacher = self.teacher.score(batch, select, targets)
        if self.training:  # a training step's figure, not the panel's
            self._teacher_s += time.perf_counter() - start
        where = self.token_turns(batch, select)
        behaviour = batch["behaviour_logprobs"][:, 1:][select]
        _, turn_of_token = where.turn_ids()  # one id per (episode, turn): a "sequence" for aggregation
        if "on_policy" in batch:
            on_policy = batch["on_policy"][:, None].expand_as(select)[select]
        else:
            on_policy = torch.ones_like(targets, dtype=torch.bool)
        loss = self.mixed_loss((student_logp, teacher, targets, turn_of_token, behaviour), on_policy)
        lp_s = student_logp.detach().gather(-1, targets[:, None]).squeeze(-1)
        return Scored(loss, lp_s, teacher.logprobs, where, on_policy)

    def mixed_loss(self, args: tuple[Any, ...], on_policy: torch.Tensor) -> torch.Tensor:
        """``loss`` on sampled tokens and ``off_policy_loss`` on demonstrations, by token share."""
        if self.off_policy_loss_fn is self.loss_fn or bool(on_policy.all()):
            return self.loss_fn.from_logprobs(*args)  # one call: no copy of the log-probs
        off = self.off_policy_loss_fn
        if off is None:
            raise ConfigError(
                f"demonstrations (data.on_policy_fraction < 1) need an estimator on tokens the student did "
                f"not sample, and {self.teacher.describe()} returns the sampled token's log-prob only: set "
                "its top_k (model.init_args.teacher.init_args.top_k: 20) or data.on_policy_fraction 1.0"
            )
        if not bool(on_policy.any()):
            return off.from_logprobs(*args)
        n = on_policy.numel()
        parts = [
            fn.from_logprobs(*(a[mask] for a in args)) * (mask.sum() / n)
            for fn, mask in ((self.loss_fn, on_policy), (off, ~on_policy))
        ]
        return parts[0] + parts[1]

    def kl_stats(self, scored: Scored) -> TurnKL:
        """Per-turn KL (sum over a turn's tokens of log pS - log pT), trajectory KL, teacher support."""
        return TurnKL.compute(scored.lp_student, scored.lp_teacher, scored.where, self.support_threshold)

    # ----- where a step's time goes (time/rollout_s and time/weight_sync_s come from the rollouts) ----
    def on_train_epoch_start(self) -> None:
        self._teacher_s = self._train_s = 0.0

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        self._batch_start = time.perf_counter()

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        if self._batch_start is not None:  # forward, backward and the optimizer step of the batch
            self._train_s += time.perf_counter() - self._batch_start

    def on_train_epoch_end(self) -> None:
        teacher_s = self._teacher_s
        self.log("time/teacher_s", teacher_s, batch_size=1, on_epoch=True)
        self.log("time/train_s", max(0.0, self._train_s - teacher_s), batch_size=1, on_epoch=True)

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
        if "filler" in batch:  # keeps a sharded student's forwards in step across ranks; no metrics
            self.score(batch)
            return
        self.update_outcomes(stage, batch)
        if not batch["loss_mask"].any():
            if is_sharded(self.student):  # the other ranks' forwards gather the same units
                self.score(batch)
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
