"""Lightning callbacks: the temporal curriculum's hooks (TCOD), KL-stability monitoring, KL on gold
states, export.

The schedules are re-exported from ``tcod_pl.curriculum`` so that ``callbacks.Linear`` etc. keep
working in configs.
"""

from callbacks.curriculum import CurriculumCallback
from callbacks.export import ExportHuggingFace
from callbacks.gold_kl import GoldStateKL
from callbacks.kl_monitor import KLStabilityMonitor
from tcod_pl.curriculum.schedules import Adaptive, Constant, Linear, Schedule, Step

__all__ = [
    "Adaptive",
    "Constant",
    "CurriculumCallback",
    "ExportHuggingFace",
    "GoldStateKL",
    "KLStabilityMonitor",
    "Linear",
    "Schedule",
    "Step",
]
