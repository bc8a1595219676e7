"""Citations of the documentation cannot rot.

Code, tests and documents cite the specification as `docs/<page>.md#<section>`. Every
such citation in the repository (Python, Markdown, TOML, GraphQL files and the
Makefile) must name a file that exists and, where it names a section, a heading of that
file (as GitHub makes its anchor) or an explicit `<a id="...">`. Relative links between
Markdown files are held to the same rule, and no file cites a document that is not in
the repository.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# This file's examples of broken citations are data, not citations.
THIS_FILE = Path(__file__).resolve()
SPEC = ROOT / "docs" / "spec"

SUFFIXES = frozenset({".py", ".md", ".toml", ".graphql"})
NAMES = frozenset({"Makefile"})
# Folders that hold no file of the project's own (tools, caches, installed packages).
PRUNED = frozenset({"node_modules", "var", "__pycache__", "build", "dist"})

# `docs/spec/limits.md#input`, with or without a section; not a longer path that merely
# ends in one (`other/docs/x.md`).
CITATION = re.compile(r"(?<![\w./-])(docs/[\w./-]*?\.md)(?:#([\w-]+))?")
# A Markdown link's target: `[text](target)`.
LINK = re.compile(r"\]\(([^()\s]+)\)")
# A document named the way the project's own top-level documents are (README.md).
DOCUMENT_NAME = re.compile(r"(?<![\w./-])((?:[\w.-]+/)*[A-Z][A-Z0-9_-]*\.md)\b")
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
FENCE = re.compile(r"^ {0,3}(```|~~~)")
EXPLICIT_ANCHOR = re.compile(r"""<a\s+(?:[^>]*?\s)?(?:id|name)\s*=\s*["']([^"']+)["']""")


@dataclass(frozen=True)
class Citation:
    source: Path
    line: int
    target: str
    section: str | None

    def __str__(self) -> str:
        source = self.source.relative_to(ROOT) if self.source.is_relative_to(ROOT) else self.source
        where = f"{source}:{self.line}"
        cited = self.target + (f"#{self.section}" if self.section is not None else "")
        return f"{where}: {cited}"


def project_files(root: Path) -> Iterator[Path]:
    """Every file of the tree whose citations count, skipping hidden and tool folders."""
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(
            name
            for name in subfolders
            if not name.startswith(".") and name not in PRUNED and not name.endswith(".egg-info")
        )
        for name in sorted(files):
            path = Path(folder) / name
            if path.resolve() == THIS_FILE:
                continue
            if path.suffix in SUFFIXES or name in NAMES:
                yield path


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its text without Markdown, lower-cased, every
    character but letters, digits, `_`, `-` and spaces dropped, spaces made `-`."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links and images: their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Every anchor a Markdown document offers: its headings' slugs (repeated headings
    numbered `-1`, `-2`, as GitHub numbers them) and its explicit `<a id>`/`<a name>`."""
    found: set[str] = set()
    seen: Counter[str] = Counter()
    fenced = False
    for line in markdown.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        heading = HEADING.match(line)
        if heading:
            base = slug(heading.group(2))
            found.add(base if seen[base] == 0 else f"{base}-{seen[base]}")
            seen[base] += 1
        found.update(EXPLICIT_ANCHOR.findall(line))
    return found


def citations(root: Path) -> list[Citation]:
    """Every `docs/...md[#section]` citation in the tree, wherever it stands."""
    found = []
    for path in project_files(root):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in CITATION.finditer(line):
                found.append(Citation(path, number, match.group(1), match.group(2)))
    return found


def links(root: Path) -> list[Citation]:
    """Every relative link of every Markdown file, resolved against the file's folder."""
    found = []
    for path in project_files(root):
        if path.suffix != ".md":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in LINK.finditer(line):
                target, _, section = match.group(1).partition("#")
                if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("/"):
                    continue  # a URL, not a file of the repository
                resolved = (path.parent / target) if target else path
                found.append(Citation(path, number, str(resolved), section or None))
    return found


def broken(cited: list[Citation], root: Path) -> list[str]:
    """The citations whose file, or whose section in it, does not exist."""
    problems = []
    cache: dict[Path, set[str]] = {}
    for citation in cited:
        target = Path(citation.target)
        path = target if target.is_absolute() else root / target
        if not path.exists():
            problems.append(f"{citation}: no such file")
            continue
        if citation.section is None:
            continue
        if path.suffix != ".md":
            problems.append(f"{citation}: a section of a file that is not Markdown")
            continue
        if path not in cache:
            cache[path] = anchors(path.read_text(encoding="utf-8"))
        if citation.section not in cache[path]:
            problems.append(f"{citation}: no such section")
    return problems


def outside_documents(root: Path) -> list[str]:
    """Documents named like README.md (upper-case) that are nowhere in the tree."""
    present = {path.name for path in project_files(root) if path.suffix == ".md"}
    problems = []
    for path in project_files(root):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in DOCUMENT_NAME.finditer(line):
                name = match.group(1)
                if not ((root / name).exists() or (path.parent / name).exists()):
                    if Path(name).name not in present or "/" in name:
                        problems.append(f"{path.relative_to(root)}:{number}: {name}")
    return problems


# --- the repository -------------------------------------------------------------------


def test_every_citation_names_a_file_and_a_section_that_exist() -> None:
    cited = citations(ROOT)

    # The scan reaches code, tests and the README (a scan that finds nothing passes
    # nothing).
    sources = {citation.source.relative_to(ROOT).parts[0] for citation in cited}
    assert {"auth", "models", "resolvers", "schema", "tests", "README.md"} <= sources
    assert broken(cited, ROOT) == []


def test_every_relative_link_between_documents_resolves() -> None:
    cited = links(ROOT)

    assert any(c.source == ROOT / "README.md" for c in cited)
    assert broken(cited, ROOT) == []


def test_nothing_cites_a_document_outside_the_repository() -> None:
    assert outside_documents(ROOT) == []


def test_the_readme_links_the_specification_and_its_index_every_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    index = (SPEC / "README.md").read_text(encoding="utf-8")
    linked = {match.partition("#")[0] for match in LINK.findall(index)}

    assert "(docs/spec/README.md)" in readme
    pages = {path.name for path in SPEC.glob("*.md")} - {"README.md"}
    assert pages, "docs/spec holds no page"
    assert sorted(pages - linked) == []


# --- the checker itself ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Sign-in methods", "sign-in-methods"),
        ("Registering a business or an enterprise", "registering-a-business-or-an-enterprise"),
        ("Configuration and start-up", "configuration-and-start-up"),
        ("The `subAccounts` list", "the-subaccounts-list"),
        ("Keys, tokens & codes", "keys-tokens--codes"),
        ("What [the README](../README.md) says", "what-the-readme-says"),
        ("未成年人 minors", "未成年人-minors"),
        ("snake_case stays", "snake_case-stays"),
    ],
)
def test_slug_is_the_anchor_github_makes(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_anchors_number_repeated_headings_and_skip_code_blocks() -> None:
    markdown = "\n".join(
        [
            "# Title",
            "## Notes",
            "## Notes",
            "```",
            "## Not a heading",
            "```",
            '<a id="kept-explicitly"></a>',
            "Text ## not a heading either",
        ]
    )

    assert anchors(markdown) == {"title", "notes", "notes-1", "kept-explicitly"}


def test_the_checker_finds_a_missing_file_a_missing_section_and_an_outside_document(
    tmp_path: Path,
) -> None:
    (tmp_path / "docs" / "spec").mkdir(parents=True)
    (tmp_path / "docs" / "spec" / "page.md").write_text(
        "# Page\n\n## Kept\n\nSee [kept](#kept), [gone](#gone) and [other](other.md).\n",
        encoding="utf-8",
    )
    (tmp_path / "module.py").write_text(
        '"""Rules: docs/spec/page.md#kept, docs/spec/page.md#gone, docs/spec/none.md,\n'
        'docs/spec/page.md and STANDARDS.md section 3."""\n',
        encoding="utf-8",
    )
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "ignored.py").write_text("docs/spec/none.md#x\n", encoding="utf-8")

    assert broken(citations(tmp_path), tmp_path) == [
        f"{tmp_path / 'module.py'}:1: docs/spec/page.md#gone: no such section",
        f"{tmp_path / 'module.py'}:1: docs/spec/none.md: no such file",
    ]
    page = tmp_path / "docs" / "spec" / "page.md"
    assert broken(links(tmp_path), tmp_path) == [
        f"{page}:5: {page}#gone: no such section",
        f"{page}:5: {page.parent / 'other.md'}: no such file",
    ]
    assert outside_documents(tmp_path) == ["module.py:2: STANDARDS.md"]
