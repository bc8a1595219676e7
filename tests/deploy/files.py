"""The container files of the repository, read as the tests need them."""

from __future__ import annotations

import fnmatch
import json
import shlex
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO_ROOT / "Dockerfile"
COMPOSE_FILE = REPO_ROOT / "compose.yaml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
# The tools of the `deploy` extra, installed beside this interpreter.
TOOLS = Path(sys.executable).parent
_PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# The top-level packages that `pip install .` installs (pyproject's packages.find).
PACKAGES = [
    path.name
    for path in sorted(REPO_ROOT.iterdir())
    if path.is_dir()
    and any(
        fnmatch.fnmatch(path.name, pattern)
        for pattern in _PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    )
]


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def arguments(self, instruction: str) -> list[str]:
        return [args for name, args in self.instructions if name == instruction]


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs: comments dropped, continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1].strip() + " "
            continue
        name, _, args = (pending + stripped).partition(" ")
        instructions.append((name.upper(), args.strip()))
        pending = ""
    return instructions


def dockerfile_stages(text: str) -> tuple[dict[str, str], list[Stage]]:
    """The global ARG defaults and the stages, in order."""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for name, args in dockerfile_instructions(text):
        if name == "FROM":
            base, _, alias = args.partition(" AS ")
            stages.append(Stage(base=base.strip(), name=alias.strip() or None))
        elif not stages and name == "ARG":
            key, _, default = args.partition("=")
            global_args[key] = default
        else:
            stages[-1].instructions.append((name, args))
    return global_args, stages


def exec_form(args: str) -> list[str]:
    """The JSON array of an exec-form CMD, ENTRYPOINT or HEALTHCHECK ... CMD."""
    value: list[str] = json.loads(args[args.index("[") :])
    return value


def env_values(stage: Stage) -> dict[str, str]:
    values: dict[str, str] = {}
    for args in stage.arguments("ENV"):
        for pair in shlex.split(args):
            key, _, value = pair.partition("=")
            values[key] = value
    return values


def load_compose(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded
