"""The install itself: `pip install -e .` builds with no warning of the project's making."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from tests.support.processes import run_successfully

ROOT = Path(__file__).resolve().parents[2]
# What setuptools reads to build the package.
PROJECT_FILES = ("pyproject.toml", "README.md")
PACKAGES = ("schema", "resolvers", "models", "auth", "gateway")

# The editable build pip runs, in a fresh interpreter, recording every warning the
# backend emits (pip prints them as BuildBackendWarning).
BUILD = """
import sys
import warnings

import setuptools.build_meta as backend

wheels, report_file = sys.argv[1:]  # read first: the backend rewrites sys.argv
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    backend.build_editable(wheels)
with open(report_file, "w", encoding="utf-8") as report:
    for warning in caught:
        report.write(f"{warning.category.__name__}: {warning.message}\\n")
"""


def test_the_editable_build_emits_no_warning(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        shutil.copy(ROOT / name, project / name)
    for name in PACKAGES:
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    report = tmp_path / "warnings.txt"

    # This interpreter running the backend pip would run.
    run_successfully(
        [sys.executable, "-c", BUILD, str(wheels), str(report)], cwd=project, timeout=120
    )

    assert [path.name for path in wheels.iterdir()] == [
        "xiamo_gateway-0.1.0-0.editable-py3-none-any.whl"
    ]
    assert report.read_text(encoding="utf-8") == ""
