"""The committed notebooks as files: small enough for GitHub, and saved as JupyterLab saves.

Media belong in ``figures/`` and are shown by reference; an output image this large means
a figure was embedded instead, or drawn at a needless resolution.
"""

from __future__ import annotations

import base64
import copy
import json

import pytest

from fcn_tutorial.notebooks import KERNELSPEC, NOTEBOOKS, normalise, notebook_paths

MAX_NOTEBOOK_BYTES = 1_500_000
MAX_IMAGE_BYTES = 400_000
PATHS = notebook_paths(NOTEBOOKS)


def test_there_are_seven_notebooks():
    assert [path.name[:2] for path in PATHS] == [f"0{n}" for n in range(1, 8)]


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.name)
def test_notebook_is_small(path):
    size = path.stat().st_size
    assert size <= MAX_NOTEBOOK_BYTES, (
        f"{path.name} is {size / 1e6:.2f} MB (limit 1.5 MB): show media from figures/ by "
        "reference, and draw figures at a smaller size"
    )


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.name)
def test_no_output_image_is_large(path):
    notebook = json.loads(path.read_text())
    for index, cell in enumerate(notebook["cells"]):
        for output in cell.get("outputs", []):
            for mime, data in output.get("data", {}).items():
                if mime.startswith("image/") and mime != "image/svg+xml":
                    size = len(base64.b64decode("".join(data)))
                    assert size <= MAX_IMAGE_BYTES, (
                        f"{path.name} cell {index}: a {mime} output of {size / 1e3:.0f} kB "
                        f"(limit {MAX_IMAGE_BYTES / 1e3:.0f} kB)"
                    )


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.name)
def test_notebook_is_saved_as_jupyterlab_saves_it(path):
    text = path.read_text()
    notebook = json.loads(text)
    assert notebook["metadata"]["kernelspec"] == KERNELSPEC
    expected = json.dumps(normalise(copy.deepcopy(notebook)), indent=1, ensure_ascii=False)
    assert text == expected + "\n", (
        f"{path.name} is not normalised: run fcn_tutorial.notebooks.normalise on it "
        "(`fcn-tutorial notebooks` does) so JupyterLab opens it unmodified"
    )


def test_normalise_rewrites_what_jupyterlab_would():
    view = {"model_id": "aa", "version_major": 2, "version_minor": 0.0}
    notebook = {
        "cells": [{"cell_type": "code", "outputs": [{"data": {"widget-view": view}}]}],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "name": "python3"},
            "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {"aa": {}}}},
            "scale": 2.5,
        },
    }
    normalise(notebook)
    assert notebook["metadata"] == {"kernelspec": KERNELSPEC, "scale": 2.5}
    assert view["version_minor"] == 0 and isinstance(view["version_minor"], int)
