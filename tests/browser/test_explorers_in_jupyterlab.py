"""Every explorer, in a real JupyterLab in headless Chromium: move its controls, see it redraw.

For each notebook that builds an explorer (any ``widgets.Explorer`` subclass), the test
opens it, waits for the kernel to be idle (the status bar's kernel status, which reads
``No Kernel | Initializing`` until the kernel is connected, not the toolbar's circle),
runs all cells from the Run menu, and waits for idle again. Then, for each explorer, each
control moves the way a learner moves it: a slider by keyboard (focus the handle, press
an arrow) and by dragging its handle back, a dropdown by picking an option, a toggle by
a click, a number by typing. After each move it waits for the image to be redrawn and to
settle, then asserts that the figure's pixels changed, that the slider's readout shows the new
value and, where the explorer's text readout spells that value out, that it does too.

A screenshot of the explorer after each step lands in ``build/screenshots/<notebook>/``.
"""

from __future__ import annotations

import functools
import io
import json
import platform
import re
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fcn_tutorial import widgets

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"

KERNEL_IDLE_TIMEOUT_S = 120  # a fresh kernel on a busy 2-core machine
RUN_ALL_TIMEOUT_S = 600  # catches a hang: 06 took ~190 s on quiet cores, over 240 s on busy ones
REDRAW_TIMEOUT_S = 30  # one round trip to the kernel and one matplotlib drawing
SETTLED_AFTER_S = 0.4  # the image counts as settled once unchanged this long

EXPLORERS = sorted(
    name
    for name, value in vars(widgets).items()
    if isinstance(value, type)
    and issubclass(value, widgets.Explorer)
    and value is not widgets.Explorer
)

# What the explorer's text readout says for a control's new value, keyed by the
# control's description: any of the strings must appear. Only checked where the
# readout showed the old value the same way (and does not now explain an error).
READOUT = {
    "input_size": lambda value: [f"(1, {value}, {value}, 1) →"],
    "kernel_size": lambda value: [f"kernel_size={value}"],
    "strides": lambda value: [f"strides={value}"],
    "pool_size": lambda value: [f"pool_size={value}"],
    "dilation_rate": lambda value: [f"dilation_rate={value}"],
    "padding": lambda value: [f"padding='{value}'", f"Padding2D({value})", f"Cropping2D({value})"],
    "mode": lambda value: [{"max": "MaxPooling2D", "avg": "AveragePooling2D"}.get(value, value)],
    "layer": lambda value: [f"{value}:"],
    "preset": lambda value: [f"{value}:"],
    "unit row": lambda value: [f"Unit ({value}, "],
    "unit col": lambda value: [f", {value}) sees"],
}
EXPLAINED = ("Not possible", "Keras refuses")

CONTROLS = ", ".join(
    [".widget-slider", ".widget-dropdown", ".widget-toggle-buttons", ".widget-text"]
)


def _explorer_cells(path: Path) -> list[str]:
    """The explorer class each code cell builds, in cell order."""
    pattern = re.compile(r"\b(" + "|".join(EXPLORERS) + r")\(")
    found = []
    for cell in json.loads(path.read_text())["cells"]:
        match = pattern.search("".join(cell["source"])) if cell["cell_type"] == "code" else None
        if match:
            found.append(match.group(1))
    return found


NOTEBOOK_EXPLORERS = {
    path.name: _explorer_cells(path)
    for path in sorted(NOTEBOOKS.glob("*.ipynb"))
    if _explorer_cells(path)
}
CASES = [
    pytest.param(notebook, index, name, id=f"{Path(notebook).stem}-{name}")
    for notebook, names in NOTEBOOK_EXPLORERS.items()
    for index, name in enumerate(names)
]


def _wait_for_kernel(page, status: str) -> None:
    """Until the status bar's kernel item reads ``<kernel name> | <status>``."""
    from playwright.sync_api import expect

    text = re.compile(rf"^(?!No Kernel).+ \| {status}$")
    item = page.locator("#jp-main-statusbar .jp-StatusBar-TextItem").filter(has_text=text)
    expect(item).to_have_count(1, timeout=KERNEL_IDLE_TIMEOUT_S * 1000)


def _run_all_cells(page, jupyterlab, notebook: str, folder: Path) -> None:
    from playwright.sync_api import expect

    # A workspace of its own, so that JupyterLab does not reopen the previous notebook.
    page.goto(jupyterlab.url(f"lab/workspaces/{Path(notebook).stem}/tree/{notebook}"))
    page.locator(".jp-Notebook").first.wait_for(timeout=KERNEL_IDLE_TIMEOUT_S * 1000)
    _wait_for_kernel(page, "Idle")
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    running = page.locator(".jp-InputPrompt", has_text="[*]")
    # Every cell is queued ("[*]") at once; they are done when none is left.
    expect(running).not_to_have_count(0, timeout=30_000)
    expect(running).to_have_count(0, timeout=RUN_ALL_TIMEOUT_S * 1000)
    _wait_for_kernel(page, "Idle")
    page.screenshot(path=folder / "00-run-all.png")
    news = page.locator(".Toastify__toast", has_text="Jupyter news")
    assert news.count() == 0, "the news toast is back: see DISABLED_PLUGINS in conftest.py"
    errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]')
    if errors.count():
        pytest.fail(f"{notebook} raised while running all cells:\n{errors.first.inner_text()}")
    expected = len(_explorer_cells(jupyterlab.notebooks / notebook))
    expect(page.locator(".fcn-explorer")).to_have_count(expected, timeout=30_000)


@pytest.fixture(scope="session")
def open_notebook(jupyterlab, browser_context, screenshots):
    """``open_notebook(name)``: a page with the notebook run; one notebook open at a time."""
    opened: dict = {}

    def open_(notebook: str):
        if notebook not in opened:
            for page in opened.values():
                if not isinstance(page, BaseException):
                    page.close()
            opened.clear()
            jupyterlab.shutdown_kernels()
            folder = screenshots / Path(notebook).stem
            folder.mkdir(parents=True, exist_ok=True)
            page = browser_context.new_page()
            try:
                _run_all_cells(page, jupyterlab, notebook, folder)
                opened[notebook] = page
            except BaseException as error:
                opened[notebook] = error
                page.screenshot(path=folder / "00-run-all-failed.png")
                raise
        if isinstance(opened[notebook], BaseException):
            pytest.fail(f"{notebook} did not run (see its first test): {opened[notebook]}")
        return opened[notebook]

    yield open_
    for page in opened.values():
        if not isinstance(page, BaseException):
            page.close()


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _changed_pixels(before: bytes, after: bytes) -> int:
    before, after = _pixels(before), _pixels(after)
    if before.shape != after.shape:
        return max(before.shape[0] * before.shape[1], after.shape[0] * after.shape[1])
    return int(np.count_nonzero(np.abs(after - before).max(axis=-1)))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


class ExplorerInPage:
    """One explorer on the page: its image, its text readout, and moves that check both."""

    def __init__(self, page, index: int, name: str, folder: Path):
        self.page, self.name = page, name
        self.root = page.locator(".fcn-explorer").nth(index)
        self.image = self.root.locator("img.widget-image")
        self.readout = self.root.locator(".widget-html").last
        self.prefix = folder / f"{index + 1}-{name}"
        self.steps = 0

    def shot(self, label: str) -> None:
        self.steps += 1
        self.root.screenshot(path=f"{self.prefix}-{self.steps:02d}-{_slug(label)}.png")

    def move_every_control(self) -> int:
        """Move each slider, dropdown and toggle, and the first number field; count them."""
        moves, typed = 0, False
        for control in self.root.locator(CONTROLS).all():
            classes = control.get_attribute("class").split()
            if "widget-slider" in classes:
                moves += self.move_slider(control)
            elif "widget-dropdown" in classes:
                moves += self.move_dropdown(control)
            elif "widget-toggle-buttons" in classes:
                moves += self.move_toggle(control)
            elif not typed:
                typed = self.type_number(control)
                moves += typed
        return moves

    def move_slider(self, slider) -> int:
        """By keyboard one step, then back by dragging the handle."""
        from playwright.sync_api import expect

        label = slider.locator(".widget-label").inner_text().strip()
        handle = slider.locator(".noUi-handle")
        readout = slider.locator(".widget-readout")
        low, high = (float(handle.get_attribute(f"aria-value{end}")) for end in ("min", "max"))
        if low == high:
            return 0
        text = readout.inner_text().strip()
        if not re.fullmatch(r"-?\d+", text):
            return self.move_float_slider(label, handle, readout, text, high)
        value = int(text)
        target = value + 1 if value < high else value - 1

        def press():
            handle.focus()
            handle.press("ArrowRight" if target > value else "ArrowLeft")

        self.move(f"{label} {value} to {target} by keyboard", press, label, value, target)
        expect(readout).to_have_text(str(target))

        def drag():
            width = slider.locator(".noUi-base").bounding_box()["width"]
            box = handle.bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            self.page.mouse.move(x, y)
            self.page.mouse.down()
            self.page.mouse.move(x + (value - target) / (high - low) * width, y, steps=8)
            self.page.mouse.up()

        self.move(f"{label} {target} to {value} by dragging", drag, label, target, value)
        expect(readout).to_have_text(str(value))
        return 2

    def move_float_slider(self, label, handle, readout, text, high) -> int:
        """An opacity-like slider: one keyboard step, and its readout must follow."""
        from playwright.sync_api import expect

        key = "ArrowLeft" if float(text) >= high else "ArrowRight"

        def press():
            handle.focus()
            handle.press(key)

        self.move(f"{label} {text} one step by keyboard", press, label)
        expect(readout).not_to_have_text(text)
        return 1

    def move_dropdown(self, dropdown) -> int:
        """Pick the next option (or the previous one, from the last)."""
        from playwright.sync_api import expect

        label = dropdown.locator(".widget-label").inner_text().strip()
        select = dropdown.locator("select")
        index, options = select.evaluate(
            "s => [s.selectedIndex, Array.from(s.options, option => option.text)]"
        )
        target = index + 1 if index + 1 < len(options) else index - 1
        if index < 0:
            # Nothing shown: ipywidgets shows a value of None as no selection, and picking
            # the "None" option is then no change. Pick the option after it instead.
            index, target = None, 1
        old, new = options[index] if index is not None else "(blank)", options[target]
        # Not by arrow keys: in command mode JupyterLab takes ArrowUp/Down to move
        # between cells before the <select> sees them.
        pick = functools.partial(select.select_option, index=target)
        self.move(f"{label} {old} to {new} by choosing", pick, label, old, new)
        expect(select).to_have_js_property("selectedIndex", target)
        return 1

    def move_toggle(self, toggles) -> int:
        """Click the first button that is not pressed."""
        label = toggles.locator(".widget-label").inner_text().strip()
        old = toggles.locator("button.mod-active").inner_text().strip()
        button = toggles.locator("button:not(.mod-active)").first
        new = button.inner_text().strip()
        self.move(f"{label} {old} to {new} by clicking", button.click, label, old, new)
        return 1

    def type_number(self, field) -> int:
        """Type the old number plus one, then Enter."""
        from playwright.sync_api import expect

        box = field.locator("input")
        old = box.input_value()
        new = f"{float(old) + 1:g}"

        def type_():
            box.fill(new)
            box.press("Enter")

        self.move(f"number {old} to {new} by typing", type_)
        expect(box).to_have_value(re.compile(rf"^{re.escape(new)}(\.0*)?$"))
        return 1

    def move(self, step: str, action, control=None, old=None, new=None) -> None:
        """Do ``action``; check the figure changed and the readout shows ``new``."""
        from playwright.sync_api import expect

        self.image.scroll_into_view_if_needed()
        before, old_src = self.image.screenshot(), self.image.get_attribute("src")
        old_readout = self.readout.inner_text()
        action()
        self._settle(old_src, step)
        changed = _changed_pixels(before, self.image.screenshot())
        self.shot(step)
        assert changed > 0, f"{self.name}, {step}: the figure's pixels did not change"
        forms = READOUT.get(control)
        if forms and any(text in old_readout for text in forms(old)):
            # The readout spelled the old value out: it spells the new one (or says why not).
            pattern = "|".join(re.escape(text) for text in [*forms(new), *EXPLAINED])
            expect(self.readout, f"{self.name}, {step}: readout").to_contain_text(
                re.compile(pattern)
            )

    def _settle(self, old_src: str, step: str) -> None:
        """Wait for a new image, then until it stays the same for ``SETTLED_AFTER_S``."""
        try:
            self.page.wait_for_function(
                "([image, old]) => image.src !== old && image.complete && image.naturalWidth > 0",
                arg=[self.image.element_handle(), old_src],
                timeout=REDRAW_TIMEOUT_S * 1000,
            )
        except Exception:
            self.shot(f"{step} not redrawn")
            pytest.fail(f"{self.name}, {step}: the figure was not redrawn in {REDRAW_TIMEOUT_S} s")
        src, deadline = None, time.monotonic() + REDRAW_TIMEOUT_S
        while time.monotonic() < deadline:
            now = self.image.evaluate("image => (image.complete ? image.src : null)")
            if now is not None and now == src:
                return
            src = now
            time.sleep(SETTLED_AFTER_S)


@pytest.mark.parametrize(("notebook", "index", "name"), CASES)
def test_explorer_redraws_when_its_controls_move(open_notebook, screenshots, notebook, index, name):
    page = open_notebook(notebook)
    explorer = ExplorerInPage(page, index, name, screenshots / Path(notebook).stem)
    explorer.image.scroll_into_view_if_needed()
    explorer.shot("start")
    assert explorer.move_every_control() > 0, f"{name}: no control this test knows how to move"


def test_the_notebooks_build_explorers():
    """Guards the discovery above: an empty list would test nothing, silently."""
    assert CASES, f"no notebook in {NOTEBOOKS} builds one of {EXPLORERS}"


# A browser of a model's predictions, as notebook 07 builds one: frame k is predicted with
# its top 8 * (k + 1) rows as sky, so each frame scores differently.
PREDICTIONS_SETUP = """
import numpy as np
from fcn_tutorial import widgets
from fcn_tutorial.datasets import synthetic_driving

images, masks = synthetic_driving(3, height=120, width=160, seed=4)
predictions = masks.copy()
for frame in range(3):
    predictions[frame, : 8 * (frame + 1)] = 0
"""
PREDICTIONS_BROWSER = (
    "widgets.SegmentationBrowser(images, masks, predictions=predictions, index_label='frame')"
)


def test_prediction_browser_switches_view_and_scores_each_frame(
    jupyterlab, open_notebook, screenshots
):
    import nbformat
    from playwright.sync_api import expect

    notebook = "segmentation_browser_predictions.ipynb"
    kernel = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    document = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(PREDICTIONS_SETUP + PREDICTIONS_BROWSER)],
        metadata={"kernelspec": kernel},
    )
    nbformat.write(document, jupyterlab.notebooks / notebook)  # the server's copy only
    # The same browser in this process, to know what the page must say about each frame.
    namespace = {}
    exec(PREDICTIONS_SETUP, namespace)
    local = eval(PREDICTIONS_BROWSER, namespace)
    readouts = []
    for frame in (0, 1):
        local.controls["index"].value = frame
        state = local.state
        scores = f"pixel accuracy {state['pixel_accuracy']:.1%}, mean IU {state['mean_iu']:.1%}"
        readouts.append(re.compile(rf"frame {frame} of 3 .*{re.escape(scores)}", re.S))
    assert readouts[0].pattern.split("of 3")[1] != readouts[1].pattern.split("of 3")[1]

    page = open_notebook(notebook)
    folder = screenshots / Path(notebook).stem
    explorer = ExplorerInPage(page, 0, "SegmentationBrowser", folder)
    explorer.image.scroll_into_view_if_needed()
    explorer.shot("start")
    expect(explorer.readout).to_contain_text(readouts[0])
    view = explorer.root.locator(".widget-toggle-buttons")
    expect(view.locator("button.mod-active")).to_have_text("side by side")
    explorer.move("view side by side to errors", view.locator("button", has_text="errors").click)
    expect(view.locator("button.mod-active")).to_have_text("errors")
    expect(explorer.readout).to_contain_text(readouts[0])

    slider = explorer.root.locator(".widget-slider", has_text="frame")
    expect(slider.locator(".widget-readout")).to_have_text("0")

    def next_frame():
        slider.locator(".noUi-handle").focus()
        slider.locator(".noUi-handle").press("ArrowRight")

    explorer.move("frame 0 to 1 by keyboard", next_frame)
    expect(slider.locator(".widget-readout")).to_have_text("1")
    expect(explorer.readout).to_contain_text(readouts[1])


@pytest.mark.parametrize("notebook", ["06_skip_layers.ipynb", "07_self_driving_demo.ipynb"])
def test_a_committed_notebook_opens_unmodified(jupyterlab, browser_context, screenshots, notebook):
    """Opening and closing a notebook must leave no diff: JupyterLab marks the tab dirty when
    what it would save differs from the file (kernelspec, widget numbers; see normalise).

    JupyterLab also records the kernel's Python version in ``language_info``: under another
    Python than the one that executed the notebook, the tab is dirty for that alone, so
    there the notebook is saved and must differ from the committed file in nothing else.
    """
    from playwright.sync_api import expect

    committed = json.loads((jupyterlab.notebooks / notebook).read_text(encoding="utf-8"))
    recorded = committed["metadata"]["language_info"]["version"]
    jupyterlab.shutdown_kernels()
    page = browser_context.new_page()
    try:
        stem = Path(notebook).stem
        page.goto(jupyterlab.url(f"lab/workspaces/open-{stem}/tree/{notebook}"))
        page.locator(".jp-Notebook").first.wait_for(timeout=KERNEL_IDLE_TIMEOUT_S * 1000)
        _wait_for_kernel(page, "Idle")
        time.sleep(2)  # the widget manager restores the saved state once the kernel is up
        page.screenshot(path=screenshots / f"{stem}-opened.png")
        tab = page.locator(".lm-TabBar-tab.jp-mod-current", has_text=notebook).first
        if recorded == platform.python_version():
            assert "jp-mod-dirty" not in (tab.get_attribute("class") or ""), (
                f"{notebook} opens modified in JupyterLab"
            )
            return
        page.keyboard.press("Control+s")
        expect(tab).not_to_have_class(re.compile("jp-mod-dirty"), timeout=30_000)
        saved = json.loads((jupyterlab.notebooks / notebook).read_text(encoding="utf-8"))
        assert saved["metadata"]["language_info"]["version"] == platform.python_version()
        saved["metadata"]["language_info"]["version"] = recorded
        assert saved == committed, f"{notebook} opens modified beyond the Python version"
    finally:
        page.close()
        jupyterlab.shutdown_kernels()
