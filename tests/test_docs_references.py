"""Every section the code cites exists in docs/mathematics.md.

Docstrings, comments, tests and the README cite the mathematics page as
"docs/mathematics.md §4.3" or, in the older spelling, "SPEC §4.3" (both mean a
heading of docs/mathematics.md). A citation may list several ids, ranges and
test cases: "SPEC §2.2 and §2.4", "SPEC §3.3–3.4", "SPEC §9, T1–T8",
"(SPEC §4.3, T14)", "SPEC T11", "SPEC's closed forms (T17–T19, §5.3, §5.4)".
Section ids must be heading numbers ("## 4. …", "### 4.3 …"); test-case ids
("T11") must label a heading or a row of the §9 table.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "mathematics.md"
SOURCES = ["geolasso", "viz", "tests", "gallery", "benchmarks", "README.md"]
SUFFIXES = {".py", ".md", ".rst", ".txt", ".toml", ".cfg"}

# An id is "§4.3" or "T11"; a range "§3.3–3.4" or "T1–T8" joins two.
_HEAD = r"(?:§\s*\d+(?:\.\d+)*|T\d+)"
_ITEM = rf"{_HEAD}(?:\s*[–-]\s*(?:§?\s*\d+(?:\.\d+)*|T\d+))?"
_SEP = r"(?:\s*,\s*|\s+and\s+|\s*;\s*)"
_ITEMS = re.compile(rf"{_ITEM}(?:{_SEP}{_ITEM})*")
# "SPEC §x", "docs/mathematics.md §x", and "SPEC's closed forms (T17, …)".
_PREFIX = r"(?:\bSPEC|docs/mathematics\.md)(?:'s[^()§\n]{0,40}\()?"


def _sources():
    for name in SOURCES:
        path = ROOT / name
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from (p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix in SUFFIXES)


def _expand(item):
    """'§3.3–3.4' -> ['3.3', '3.4']; 'T1–T8' -> ['T1', …, 'T8']; '§2' -> ['2']."""
    parts = [p.strip().lstrip("§").strip() for p in re.split(r"[–-]", item)]
    if len(parts) == 1:
        return parts
    lo, hi = parts
    if lo.startswith("T") and hi.startswith("T"):
        return [f"T{k}" for k in range(int(lo[1:]), int(hi[1:]) + 1)]
    return [lo, hi]


def _ids(text):
    """Ids cited right after each "SPEC"/"docs/mathematics.md" in ``text``."""
    flat = re.sub(r"\n\s*(?:#\s*)?", " ", text)  # citations wrap across lines
    for match in re.finditer(_PREFIX, flat):
        rest = flat[match.end() :]
        rest = rest[re.match(r"[\s*]*", rest).end() :]
        chain = _ITEMS.match(rest)
        if chain is None:
            continue
        for item in re.findall(_ITEM, chain.group(0)):
            yield from _expand(item)


def _citations():
    found = {}
    for path in _sources():
        text = path.read_text(encoding="utf-8", errors="replace")
        for ident in _ids(text):
            found.setdefault(ident, set()).add(str(path.relative_to(ROOT)))
    return found


def _anchors():
    text = PAGE.read_text(encoding="utf-8")
    sections = set(re.findall(r"^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s", text, re.MULTILINE))
    cases = set(re.findall(r"^#{1,6}\s+(T\d+)\b", text, re.MULTILINE))
    cases |= set(re.findall(r"^\|\s*(T\d+)\s*\|", text, re.MULTILINE))
    return sections | cases


def test_parser_reads_the_real_spellings():
    text = (
        "(SPEC §4.3, T14) SPEC §2.2 and §2.4, x SPEC §3.3–3.4; SPEC §9, T1–T3\n"
        "SPEC's closed forms (T17–T19, §5.3, §5.4), see SPEC\n    §1.1). "
        "SPEC §8.2, n = 160; docs/mathematics.md §0.1; SPEC's scaling (β = n α)"
    )
    assert list(_ids(text)) == [
        "4.3", "T14", "2.2", "2.4", "3.3", "3.4", "9", "T1", "T2", "T3",
        "T17", "T18", "T19", "5.3", "5.4", "1.1", "8.2", "0.1",
    ]  # fmt: skip


def test_the_page_exists_and_has_numbered_headings():
    assert PAGE.is_file()
    anchors = _anchors()
    for ident in ["0", "0.1", "0.4", "1.1", "2.3", "3.4", "4.3", "6", "9", "T1", "T22"]:
        assert ident in anchors


def test_citations_are_found():
    # Guard against a parser that silently finds nothing.
    assert len(_citations()) >= 30


@pytest.mark.parametrize("ident", sorted(_citations(), key=lambda s: (s[0] == "T", s)))
def test_every_cited_id_is_on_the_page(ident):
    where = sorted(_citations()[ident])
    assert ident in _anchors(), f"§{ident} cited in {where} is not in docs/mathematics.md"


def test_the_module_map_lists_every_module_once():
    """docs/modules.md (where things are) names every module of geolasso and viz, once."""
    page = (ROOT / "docs" / "modules.md").read_text()
    listed = re.findall(r"^\| `((?:geolasso|viz)/[\w]+\.py)` \|", page, flags=re.M)
    present = sorted(
        f"{p.parent.name}/{p.name}" for d in ("geolasso", "viz") for p in (ROOT / d).glob("*.py")
    )
    assert sorted(listed) == present
