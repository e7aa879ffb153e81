"""The teacher as an OpenAI-compatible vLLM endpoint (``vllm serve``), shared by every rank."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import torch
from transformers import PreTrainedTokenizerBase

from tcod_pl.errors import ConfigError, TeacherUnavailable
from tcod_pl.teachers.base import Teacher, unpadded_rows
from tcod_pl.teachers.prompt_logprobs import Position, normalise, scores_at, temperature_error
from tcod_pl.teachers.scores import TeacherScores

log = logging.getLogger(__name__)

_PROBE = "You see a red box, an orange and the kitchen door. <action>open door to kitchen</action>"


class _HTTPError(Exception):
    """The server answered with an error status (4xx: the request is wrong; 5xx: retried)."""

    def __init__(self, status: int, body: str):
        super().__init__(f"HTTP {status}: {body[:300]}")
        self.status = status


class ServedTeacher(Teacher):
    """Scores episodes through a vLLM server's ``prompt_logprobs``; no rank loads the teacher.

    Start the server (GPU: ``vllm serve <teacher> --port 8000 --max-logprobs 20``; docs/teacher.md),
    then point ``url`` at it. Each packed episode is one ``/v1/completions`` request with the
    episode's token ids as the prompt; ``max_concurrency`` requests are in flight at once. Returns
    the sampled token's log-prob and, with ``top_k``, the teacher's top-k (enough for
    ``TopKForwardKL`` with k <= top_k); the full-vocabulary estimators need an in-process teacher.

    Args:
        url: the server, e.g. ``http://127.0.0.1:8000`` (a trailing ``/v1`` is accepted).
        model: the served model's name (``--served-model-name``; default: the only one served).
        top_k: the teacher's top tokens to return per position (0: the sampled token only).
        timeout: seconds one request may take before it is retried.
        retries: further attempts after a failed one, with exponential back-off from ``backoff``
            seconds (at most 60 s apart); then the run stops with a checkpoint (the CLI says how
            to resume).
        max_concurrency: requests in flight at once (one per packed episode).
        slow_after: a request slower than this is reported in the log (a slow server is never a
            silent hang).
    """

    kind = "ServedTeacher"

    def __init__(
        self,
        url: str = "http://127.0.0.1:8000",
        model: str | None = None,
        top_k: int = 0,
        timeout: float = 300.0,
        retries: int = 4,
        backoff: float = 2.0,
        max_concurrency: int = 8,
        slow_after: float = 60.0,
    ):
        if top_k < 0:
            raise ConfigError(f"ServedTeacher.top_k must be >= 0, got {top_k}")
        if timeout <= 0 or retries < 0 or backoff < 0 or max_concurrency < 1:
            raise ConfigError(
                "ServedTeacher needs timeout > 0, retries >= 0, backoff >= 0 and max_concurrency >= 1"
            )
        self.root = url.rstrip("/").removesuffix("/v1")
        self.model = model
        self.top_k = top_k
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_concurrency = max_concurrency
        self.slow_after = slow_after
        self.max_model_len: int | None = None
        self._pool: ThreadPoolExecutor | None = None

    def describe(self) -> str:
        return f"ServedTeacher ({self.root}, model {self.model or '?'})"

    def provides(self) -> tuple[str, int]:
        return ("topk", self.top_k) if self.top_k else ("sampled", 0)

    def weights(self) -> str | None:
        return self.model  # what the server serves (its --model, or --served-model-name), once bound

    # ----- checks before the first step ------------------------------------------------------------
    def bind(
        self, tokenizer: PreTrainedTokenizerBase, student: str, vocab_size: int, temperature: float
    ) -> None:
        if temperature != 1.0:
            raise temperature_error(self.kind, temperature)
        start = f"vllm serve {self.model or '<teacher model>'} --port {self._port()} --max-logprobs 20"
        try:
            served = self._request("GET", "/v1/models", None, timeout=30.0)["data"]
        except (OSError, _HTTPError, ValueError, KeyError) as err:
            raise ConfigError(
                f"the teacher endpoint {self.root} is not reachable ({_reason(err)}) for student '{student}': "
                f"start it with `{start}` (docs/teacher.md), or set model.init_args.teacher to a model path "
                "to load the teacher in-process"
            ) from None
        names = [m["id"] for m in served]
        if self.model is None:
            if len(names) != 1:
                raise ConfigError(
                    f"the teacher endpoint {self.root} serves {names}: name one with "
                    "model.init_args.teacher.init_args.model"
                )
            self.model = names[0]
        elif self.model not in names:
            raise ConfigError(
                f"the teacher endpoint {self.root} serves {names}, not '{self.model}' (student '{student}'): "
                f"start `{start}`, or set model.init_args.teacher.init_args.model to one of those"
            )
        self.max_model_len = next((m.get("max_model_len") for m in served if m["id"] == self.model), None)
        self._check_tokenizer(tokenizer, student)

    def _check_tokenizer(self, tokenizer: PreTrainedTokenizerBase, student: str) -> None:
        """The server must map text to the student's token ids (distillation compares id by id)."""
        ids = tokenizer.encode(_PROBE, add_special_tokens=False)
        spread = list(range(0, len(tokenizer), max(1, len(tokenizer) // 64)))
        theirs = self._request(
            "POST", "/tokenize", {"model": self.model, "prompt": _PROBE, "add_special_tokens": False}
        )["tokens"]
        text = self._request("POST", "/detokenize", {"model": self.model, "tokens": spread})["prompt"]
        mine = tokenizer.decode(spread)
        if theirs != ids or text != mine:
            what = (
                f"'{_PROBE[:40]}...' is {theirs[:8]}... there and {ids[:8]}... for the student"
                if theirs != ids
                else f"ids {spread[:4]}... decode to {text[:40]!r} there and {mine[:40]!r} for the student"
            )
            raise ConfigError(
                f"the teacher served at {self.root} ('{self.model}') does not share the tokenizer of the "
                f"student '{student}': {what}. Serve a teacher of the student's tokenizer family"
            )

    # ----- scoring ----------------------------------------------------------------------------------
    def score(
        self, batch: dict[str, torch.Tensor], select: torch.Tensor, targets: torch.Tensor
    ) -> TeacherScores:
        rows = unpadded_rows(batch)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="teacher")
        answers = list(self._pool.map(self._episode, rows))
        return scores_at(answers, select.cpu(), self.top_k).to(targets.device)

    def _episode(self, ids: list[int]) -> list[Position | None]:
        if self.max_model_len is not None and len(ids) >= self.max_model_len:
            raise ConfigError(
                f"a packed episode has {len(ids)} tokens, more than the teacher server's max_model_len "
                f"{self.max_model_len}: restart it with a larger --max-model-len, or lower data.max_turns"
            )
        body = {
            "model": self.model,
            "prompt": ids,
            "max_tokens": 1,
            "temperature": 0.0,
            "prompt_logprobs": self.top_k,
        }
        start = time.perf_counter()
        answer = self._with_retries(body)
        took = time.perf_counter() - start
        if took > self.slow_after:
            log.warning(
                "teacher %s took %.0f s to score a %d-token episode (timeout %.0f s)",
                self.root,
                took,
                len(ids),
                self.timeout,
            )
        return normalise(answer["choices"][0]["prompt_logprobs"], ids, self.top_k)

    def _with_retries(self, body: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        for attempt in range(self.retries + 1):
            try:
                return self._request("POST", "/v1/completions", body)
            except _HTTPError as err:
                if err.status < 500:  # the request itself is wrong: retrying cannot help
                    raise ConfigError(
                        f"the teacher at {self.root} refused a scoring request: {err}"
                    ) from None
                reason = str(err)
            except (OSError, ValueError) as err:  # refused, reset, timed out, truncated answer
                reason = _reason(err)
            if attempt == self.retries:
                raise TeacherUnavailable(
                    f"the teacher at {self.root} did not answer ({reason}) after {self.retries + 1} attempts "
                    f"over {time.perf_counter() - started:.0f} s"
                )
            wait = min(60.0, self.backoff * 2**attempt)
            log.warning(
                "teacher %s: request failed (%s); retry %d/%d in %.1f s",
                self.root,
                reason,
                attempt + 1,
                self.retries,
                wait,
            )
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None, timeout: float | None = None
    ) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.root + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as err:
            raise _HTTPError(err.code, err.read().decode(errors="replace")) from None

    def _port(self) -> str:
        tail = self.root.rsplit(":", 1)[-1]
        return tail if tail.isdigit() else "8000"

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    # A pool of threads cannot be pickled (the CLI's hyper-parameters are saved with the module).
    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_pool": None}


def _reason(err: BaseException) -> str:
    if isinstance(err, urllib.error.URLError):
        err = err.reason if isinstance(err.reason, BaseException) else err
    text = str(err) or type(err).__name__
    return text.removeprefix("<urlopen error ").removesuffix(">")
