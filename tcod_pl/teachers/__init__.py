"""The teacher's room: what scores the student's tokens, wherever the teacher runs.

* :class:`HFTeacher` — a frozen Hugging Face model in the trainer (default; full distribution).
* :class:`VLLMTeacher` — an in-process vLLM engine (prompt_logprobs; sampled token + top-k).
* :class:`ServedTeacher` — an OpenAI-compatible ``vllm serve`` endpoint shared by every rank.
"""

from tcod_pl.teachers.base import LEVELS, Teacher
from tcod_pl.teachers.hf import HFTeacher
from tcod_pl.teachers.scores import TeacherScores
from tcod_pl.teachers.served import ServedTeacher
from tcod_pl.teachers.vllm_engine import VLLMTeacher

__all__ = ["LEVELS", "HFTeacher", "ServedTeacher", "Teacher", "TeacherScores", "VLLMTeacher"]
