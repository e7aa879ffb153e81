"""ScienceWorld behind TextEnv, by concern: ``tasks`` (task names, simplifications, variation splits),
``jvm`` (finding Java, one JVM's lifecycle), ``adapter`` (ScienceWorldEnv: cheap steps on the JVM-side
interface), ``config`` (ScienceWorldConfig: the recipe a worker builds from, and the task sets).

Every name stays importable from ``tcod_pl.envs.scienceworld``.
"""

from tcod_pl.envs.scienceworld.adapter import AMBIGUOUS_MARKER, INVALID_MARKERS, ScienceWorldEnv
from tcod_pl.envs.scienceworld.config import ScienceWorldConfig
from tcod_pl.envs.scienceworld.jvm import JAVA_MISSING, _jvm_environment, find_java, start_jvm, stop_jvm
from tcod_pl.envs.scienceworld.tasks import (
    ENV_NAME,
    SIMPLIFICATIONS,
    SPLIT_SCHEMES,
    SPLITS,
    UNSEEN_TEST_TASK_TYPES,
    VARIATIONS_PATH,
    _expand,
    _jvm_table,
    _shipped_table,
    canonical_task_name,
    check_simplification,
    query_variations,
    task_names,
    variation_table,
)

__all__ = [
    "AMBIGUOUS_MARKER",
    "ENV_NAME",
    "INVALID_MARKERS",
    "JAVA_MISSING",
    "SIMPLIFICATIONS",
    "SPLITS",
    "SPLIT_SCHEMES",
    "UNSEEN_TEST_TASK_TYPES",
    "VARIATIONS_PATH",
    "ScienceWorldConfig",
    "ScienceWorldEnv",
    "_expand",
    "_jvm_environment",
    "_jvm_table",
    "_shipped_table",
    "canonical_task_name",
    "check_simplification",
    "find_java",
    "query_variations",
    "start_jvm",
    "stop_jvm",
    "task_names",
    "variation_table",
]
