"""The notebooks read as lessons (issue 16): prose, code that teaches, output.

Checks that only guard numbers live in collapsed cells, each saying why in a first-line
comment; nbval's markers are cell tags, not comments the learner reads; each notebook ends
with exercises whose hints are folded and whose solutions a hidden cell checks; and each
committed notebook stays small enough to open on GitHub. All seven have had the teaching
pass (issue 16).
"""

import json
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("0[1-7]_*.ipynb"))
MAX_BYTES = 1_500_000


def _cells(path: Path) -> list[dict]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        cell["text"] = "".join(cell["source"])
    return cells


def _hidden(cell: dict) -> bool:
    return cell.get("metadata", {}).get("jupyter", {}).get("source_hidden", False)


@pytest.fixture(params=LESSONS, ids=lambda path: path.name)
def lesson(request) -> Path:
    return request.param


def test_the_lessons_are_found():
    assert [path.name[:2] for path in LESSONS] == ["01", "02", "03", "04", "05", "06", "07"]


def test_nbval_markers_are_tags_not_comments(lesson):
    code = [cell for cell in _cells(lesson) if cell["cell_type"] == "code"]
    marked = [index for index, cell in enumerate(code) if "NBVAL_" in cell["text"]]
    assert not marked, f"tag these cells 'nbval-check-output' instead: {marked}"
    assert any("nbval-check-output" in cell["metadata"].get("tags", []) for cell in code)


def test_every_hidden_cell_says_why_in_one_line(lesson):
    for cell in _cells(lesson):
        if cell["cell_type"] == "code" and _hidden(cell):
            # "# Hidden: ..." or "# Checks the numbers quoted above ...": why it is there.
            first = cell["text"].splitlines()[0] if cell["text"] else ""
            assert first.startswith("# ") and len(first) > 12, cell["text"][:80]


def test_ends_with_exercises_folded_hints_and_checked_solutions(lesson):
    cells = _cells(lesson)
    start = next(i for i, cell in enumerate(cells) if "## Exercises" in cell["text"])
    # The hints may follow in the same cell, folded in <details>: they are not exercises.
    exercises = cells[start]["text"].split("## Exercises", 1)[1].split("<details>")[0]
    count = sum(line[:3] in {f"{n}. " for n in range(1, 10)} for line in exercises.splitlines())
    assert 2 <= count <= 4, f"{count} exercises"
    after = cells[start + 1 :]
    assert any(c["cell_type"] == "markdown" and "<details>" in c["text"] for c in cells[start:])
    solutions = [c for c in after if c["cell_type"] == "code" and _hidden(c)]
    assert solutions and all("assert" in cell["text"] for cell in solutions)


def test_committed_notebook_is_small(lesson):
    assert lesson.stat().st_size <= MAX_BYTES, f"{lesson.stat().st_size:,} bytes"
