"""The temporal curriculum (TCOD): depth schedules, one depth rule per mode, and the curriculum
that owns the depth of each training step (asked by the rollout side)."""

from tcod_pl.curriculum.curriculum import Curriculum, RolloutRecord, find_curriculum
from tcod_pl.curriculum.rules import B2F, F2B, RULES, DepthRule, Expert, Full, curriculum_modes, make_rule
from tcod_pl.curriculum.schedules import Adaptive, Constant, Linear, Schedule, Step

__all__ = [
    "B2F",
    "RULES",
    "Adaptive",
    "Constant",
    "Curriculum",
    "DepthRule",
    "Expert",
    "F2B",
    "Full",
    "Linear",
    "RolloutRecord",
    "Schedule",
    "Step",
    "curriculum_modes",
    "find_curriculum",
    "make_rule",
]
