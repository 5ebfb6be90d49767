"""The explorer pattern shared by every widget: controls, state, a drawing and a readout."""

from __future__ import annotations

import base64
import html

import ipywidgets as widgets

from fcn_tutorial import viz

__all__ = []

# Low enough that a redraw stays well under 0.3 s, high enough to read the numbers.
DPI = 72
SEED = 0


def _slider(description, value, low, high):
    return widgets.IntSlider(
        value=value,
        min=low,
        max=high,
        description=description,
        continuous_update=False,
        style={"description_width": "initial"},
    )


def _choice(description, options, value, cls=widgets.Dropdown):
    options = [(str(option), option) for option in options]
    return cls(
        options=options,
        value=value,
        description=description,
        style={"description_width": "initial"},
    )


def _code(text) -> str:
    return f"<code>{html.escape(str(text))}</code>"


class _Explorer:
    """Plumbing shared by the explorers: observe, recompute the state, redraw."""

    def _build(self, controls: dict) -> None:
        self.controls = controls
        self.state: dict = {}
        self.image = widgets.Image(format="png")
        self.readout = widgets.HTML()
        self._busy = False
        for control in controls.values():
            control.observe(self.update, names="value")
        self.widget = widgets.VBox(
            [widgets.HBox([widgets.VBox(list(self._layout())), self.image]), self.readout]
        )
        self.widget.add_class("fcn-explorer")  # what tests/browser/ looks for
        self.update()

    def _layout(self):
        return self.controls.values()

    def update(self, change=None) -> dict:
        """Recompute ``state`` from the controls and redraw; called on every change."""
        # Syncing controls (a slider's new max clamps its value) fires more changes.
        if self._busy:
            return self.state
        self._busy = True
        try:
            values = {name: control.value for name, control in self.controls.items()}
            try:
                self._sync_controls(change)
                values = {name: control.value for name, control in self.controls.items()}
                self.state = {**self._compute(values), "error": None}
            except ValueError as error:
                self.state = {**values, "error": str(error)}
            self.image.value = viz.figure_to_png(self.figure())
            self.readout.value = self._readout()
        finally:
            self._busy = False
        return self.state

    def _sync_controls(self, change) -> None:
        pass

    def figure(self) -> viz.TutorialFigure:
        """The current drawing, or the error message in its place."""
        if self.state["error"] is not None:
            return viz.message_figure(self.state["error"], dpi=DPI)
        return self._draw()

    def _readout(self) -> str:
        if self.state["error"] is not None:
            message = html.escape(self.state["error"])
            return f'<p style="color:#b00020"><b>Not possible:</b> {message}</p>'
        return self._describe()

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        # A front end without a live kernel (GitHub, nbviewer, a saved notebook) cannot
        # draw the widget; it falls back to this snapshot of the figure instead.
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        return bundle
