"""The README and docs/ against the repository: commands, paths and links that exist, configs that resolve.

Every `tcod-pl ... --config ...` line the README shows runs through the real CLI with `--print_config`
(parsing only: no model is loaded), and each `--key value` override on it must appear in the resolved
configuration.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import itertools
import re
import shlex
import sys
import unicodedata
from pathlib import Path

import pytest
import yaml

from tcod_pl.cli import main

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
DOCS = sorted((REPO / "docs").glob("*.md"))
# Paths the README names that must be in the repository (run outputs such as runs/ are not).
REPO_DIRS = ("configs/", "scripts/", "benchmarks/", "tests/", "tcod_pl/", "callbacks/", "docs/", ".ci/")
FLAGS = {"--print_config", "--help"}  # options that take no value


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def shell_blocks(text: str) -> list[str]:
    """The commands of the fenced bash blocks, backslash continuations joined."""
    out = []
    for block in re.findall(r"```(?:bash|sh)\n(.*?)```", text, flags=re.DOTALL):
        out += [ln.strip() for ln in block.replace("\\\n", " ").splitlines() if ln.strip()]
    return out


def inline_code(text: str) -> list[str]:
    without_blocks = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    return re.findall(r"`([^`\n]+)`", without_blocks)


def commands(text: str) -> list[list[str]]:
    """Every command shown, in a block or inline, as argv (comments dropped)."""
    out = []
    for line in shell_blocks(text) + inline_code(text):
        try:
            argv = shlex.split(line, comments=True)
        except ValueError:
            continue
        if argv:
            out.append(argv)
    return out


def expand_braces(path: str) -> list[str]:
    """`a/{x,y}/{f,g}.yaml` -> the four paths (shell brace expansion, one level per group)."""
    parts = re.split(r"\{([^{}]*)\}", path)
    choices = [[p] if i % 2 == 0 else p.split(",") for i, p in enumerate(parts)]
    return ["".join(c) for c in itertools.product(*choices)]


def repo_paths(text: str) -> set[str]:
    found = set()
    for code in inline_code(text) + shell_blocks(text):
        for token in re.findall(r"[\w./{},-]+", code):
            token = token.rstrip(".,")
            if token.startswith(REPO_DIRS) and "<" not in token:
                found.update(expand_braces(token))
    return found


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = "".join(ch for ch in text if ch in " -" or unicodedata.category(ch)[0] in "LN")
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", read(path), flags=re.DOTALL)
    return {github_slug(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)}


def links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", read(path), flags=re.DOTALL)
    return re.findall(r"!?\[[^\]]*\]\(([^)\s]+)\)", text)


def make_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w-]*):", read(REPO / "Makefile"), flags=re.MULTILINE))


def cli_lines() -> list[list[str]]:
    """The README's `tcod-pl <subcommand> ... --config ...` and `python -m tcod_pl.demo ...` lines."""
    out = []
    for argv in commands(read(README)):
        if any(w == "..." or "<" in w for w in argv):
            continue  # a pattern in prose (`tcod-pl ... --config ...`), not a command
        if argv[0] == "tcod-pl" and "--config" in argv:
            out.append(argv[1:])
        elif argv[:3] == ["python", "-m", "tcod_pl.demo"] and "--config" in argv:
            out.append(["fit", *argv[3:]])  # the demo passes its arguments to `tcod-pl fit`
    return out


def overrides(args: list[str]) -> list[tuple[str, str]]:
    pairs, i = [], 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("--") and arg not in FLAGS and arg != "--config":
            pairs.append((arg[2:], args[i + 1]))
            i += 2
        else:
            i += 2 if arg == "--config" else 1
    return pairs


def lookup(config: dict, dotted: str) -> object:
    node: object = config
    for key in dotted.split("."):
        assert isinstance(node, dict) and key in node, f"{dotted}: no key {key!r} in the resolved config"
        node = node[key]
    return node


def print_config(args: list[str]) -> dict:
    """`tcod-pl <args> --print_config` in this process (call with sys.argv patched: see the fixture)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit_info:
        main([*args, "--print_config"])
    assert exit_info.value.code in (0, None), f"tcod-pl {' '.join(args)} --print_config failed"
    return yaml.safe_load(out.getvalue())


# ----- the README's shape -------------------------------------------------------------------------


def test_readme_is_short_and_opens_with_the_two_commands():
    text = read(README)
    assert len(text.splitlines()) <= 250
    first = shell_blocks(text)[:2]
    assert [shlex.split(c, comments=True) for c in first] == [["make", "demo"], ["make", "test"]]
    assert text.index("make demo") < text.index("## ")  # before any section
    ci = read(REPO / ".ci" / "run")
    assert "make test" in ci


# ----- what the README names exists ---------------------------------------------------------------


def test_make_targets_exist():
    named = {argv[1] for argv in commands(read(README)) if argv[0] == "make" and len(argv) > 1}
    assert {"demo", "test"} <= named
    missing = named - make_targets()
    assert not missing, f"README names make targets the Makefile lacks: {sorted(missing)}"


def test_python_modules_and_scripts_exist():
    missing = []
    for argv in commands(read(README)):
        for i, word in enumerate(argv):
            if word == "-m" and i + 1 < len(argv):
                if importlib.util.find_spec(argv[i + 1]) is None:
                    missing.append(argv[i + 1])
            elif word.endswith(".py") and not (REPO / word).is_file():
                missing.append(word)
    assert not missing, f"README names modules or scripts that do not exist: {missing}"


def test_paths_exist():
    for page in [README, *DOCS]:
        paths = repo_paths(read(page))
        missing = sorted(p for p in paths if not (REPO / p).exists())
        assert not missing, f"{page.name} names paths that do not exist: {missing}"
    assert "configs/paper/webshop/vanilla.yaml" in repo_paths(read(README))  # the brace expansion ran


def test_dotted_names_import():
    """`tcod_pl.losses.ForwardKL`, `callbacks.ExportHuggingFace`: the classes the README names exist."""
    names = {
        m
        for code in inline_code(read(README)) + shell_blocks(read(README))
        for m in re.findall(r"\b((?:tcod_pl|callbacks)(?:\.\w+)+)", code)
    }
    assert "tcod_pl.losses.ForwardKL" in names
    missing = []
    for name in sorted(names):
        module, _, attr = name.rpartition(".")
        try:  # a class or function of a module, or a module
            if not hasattr(importlib.import_module(module), attr):
                importlib.import_module(name)
        except ImportError:
            missing.append(name)
    assert not missing, f"README names that do not import: {missing}"


def test_extras_exist():
    setup = read(REPO / "setup.py")
    named = {e for group in re.findall(r'"\.\[([\w,]+)\]"', read(README)) for e in group.split(",")}
    assert "test" in named
    missing = [e for e in named if f'"{e}":' not in setup]
    assert not missing, f"README names pip extras setup.py lacks: {missing}"


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda p: p.name)
def test_relative_links_resolve(page: Path):
    bad = []
    for target in links(page):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            bad.append(f"{target} (no file)")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            bad.append(f"{target} (no heading with that anchor)")
    assert not bad, f"{page.name}: broken links: {bad}"


# ----- the README's tcod-pl lines resolve ---------------------------------------------------------


@pytest.fixture
def at_repo(monkeypatch):
    """The README's relative paths work from the repository root; argv is the console script's."""
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(sys, "argv", ["tcod-pl"])


def test_cli_lines_resolve_with_print_config(at_repo):
    lines = cli_lines()
    assert len(lines) >= 8, lines  # methods, resuming, the own-pair commands, the demo line
    for args in lines:
        config = print_config(args)
        for key, value in overrides(args):
            if key == "ckpt_path":
                continue  # `last` is resolved after parsing
            got, want = lookup(config, key), yaml.safe_load(value)
            # `trainer.devices` is a union with str: '1' and 1 both mean one device.
            same = got == want or (not isinstance(got, (dict, list)) and str(got) == str(want))
            if isinstance(want, dict) and isinstance(got, dict) and "class_path" in want:
                # a class given inline resolves with its defaults added: the given ones must hold
                given = want.get("init_args", {})
                same = got["class_path"] == want["class_path"] and all(
                    got.get("init_args", {}).get(k) == v for k, v in given.items()
                )
            assert same, f"tcod-pl {' '.join(args)}: {key} resolved to {got!r}, not {want!r}"


def test_print_config_loads_no_model(at_repo, monkeypatch):
    """The own-pair lines name hub models that are not here: --print_config must not load them."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    paper = "configs/paper/scienceworld/f2b.yaml"
    config = print_config(["fit", "--config", paper, "--model.init_args.student", "no-such/model"])
    assert config["model"]["init_args"]["student"] == "no-such/model"
