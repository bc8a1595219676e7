"""The built package, as the image installs it (`pip install .`, not editable)."""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

from tests.deploy.files import PACKAGES, REPO_ROOT
from tests.support.processes import run_successfully


def source_files() -> set[str]:
    return {
        path.relative_to(REPO_ROOT).as_posix()
        for package in PACKAGES
        for path in (REPO_ROOT / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_the_wheel_holds_every_module_and_data_file_of_the_packages(tmp_path: Path) -> None:
    # Built from a copy, so that the build leaves nothing in the working tree.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO_ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(
            REPO_ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )

    run_successfully(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), "."],
        cwd=source,
    )

    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packaged = {name for name in archive.namelist() if ".dist-info/" not in name}
    assert {"gateway", "models", "resolvers"} <= set(PACKAGES)
    assert packaged == source_files()
