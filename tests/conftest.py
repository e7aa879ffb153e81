import random
from pathlib import Path

import pytest

from tcod_pl.data.episode import save_episodes
from tcod_pl.testing import make_tiny_models, synthetic_episode


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, Path]:
    """One tokenizer, a 'micro' teacher and a 'nano' student (random Qwen2s), saved like hub models."""
    return make_tiny_models(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def episodes_file(tmp_path_factory) -> Path:
    rng = random.Random(0)
    path = tmp_path_factory.mktemp("episodes") / "episodes.jsonl"
    save_episodes([synthetic_episode(rng, turns=3, obs_words=12) for _ in range(6)], path)
    return path
