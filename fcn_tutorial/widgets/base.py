"""The explorer pattern shared by every widget: controls, state, a drawing and a readout.

:class:`Explorer` is the base class; the helpers build its controls (:func:`slider`,
:func:`choice`), check a starting value at the door (:func:`check_integer`,
:func:`check_option`, :func:`check_opacity`: a value a control cannot hold is refused,
never clamped to the control's range) and write the Keras line of a readout
(:func:`keras_shape`, :func:`keras_readout`). ``widgets`` exports ``Explorer`` and none
of the helpers.
"""

from __future__ import annotations

import base64
import html
import math
import numbers

import ipywidgets as widgets

from fcn_tutorial import viz

__all__ = [
    "DPI",
    "SEED",
    "Explorer",
    "slider",
    "choice",
    "check_integer",
    "check_option",
    "check_opacity",
    "code",
    "keras_shape",
    "keras_readout",
]

# Low enough that a redraw stays well under 0.3 s, high enough to read the numbers.
DPI = 72
SEED = 0


def check_integer(name: str, value, low: int, high: int, where: str = "the slider's range"):
    """``value`` as an int, or a one-line ``ValueError`` unless it is an integer in range.

    An ``IntSlider`` would clamp ``strides=0`` to its minimum and truncate ``2.5`` to 2,
    and the explorer would then report on a value the caller never passed.

    Args:
        name: the argument, as the caller spelled it (``"strides"``).
        value: what the caller passed.
        low, high: the range that works, both included.
        where: what the range is, for the message.

    Returns:
        int: ``value``.

    Raises:
        ValueError: e.g. ``strides=0: pass an integer from 1 to 3, the slider's range.``

    Example:
        >>> check_integer("strides", 0, 1, 3)
        Traceback (most recent call last):
        ...
        ValueError: strides=0: pass an integer from 1 to 3, the slider's range.
    """
    integral = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not integral or not low <= value <= high:
        raise ValueError(f"{name}={value!r}: pass an integer from {low} to {high}, {where}.")
    return int(value)


def check_option(name: str, value, options) -> None:
    """A one-line ``ValueError`` naming the options unless ``value`` is one of them.

    ``True`` is not taken for ``1``, nor ``False`` for ``0``.

    Example:
        >>> check_option("mode", "median", ("max", "avg"))
        Traceback (most recent call last):
        ...
        ValueError: mode='median': pass one of 'max', 'avg'.
    """
    offered = any(
        isinstance(value, bool) == isinstance(option, bool) and value == option
        for option in options
    )
    if not offered:
        listed = ", ".join(repr(option) for option in options)
        raise ValueError(f"{name}={value!r}: pass one of {listed}.")


def check_opacity(opacity, name: str = "opacity") -> float:
    """``opacity`` as a float, or a one-line ``ValueError`` unless it is a number in 0..1."""
    number = isinstance(opacity, numbers.Real) and not isinstance(opacity, bool)
    if not number or not math.isfinite(opacity) or not 0 <= opacity <= 1:
        raise ValueError(f"{name}={opacity!r}: pass a number between 0 and 1, e.g. 0.5.")
    return float(opacity)


def slider(description, value, low, high, name=None):
    """An integer slider that reports on release, its label never cut short.

    ``value`` outside ``low .. high`` is refused (:func:`check_integer`, the message
    naming ``name``, by default the description), never clamped.
    """
    return widgets.IntSlider(
        value=check_integer(name or description, value, low, high),
        min=low,
        max=high,
        description=description,
        continuous_update=False,
        style={"description_width": "initial"},
    )


def choice(description, options, value, cls=widgets.Dropdown, name=None):
    """A menu (or ``cls``, e.g. ``ToggleButtons``) whose options show as ``str(option)``.

    ``value`` not among ``options`` is refused (:func:`check_option`, the message naming
    ``name``, by default the description), not left to a traitlets ``TraitError``.
    """
    check_option(name or description, value, options)
    options = [(str(option), option) for option in options]
    return cls(
        options=options,
        value=value,
        description=description,
        style={"description_width": "initial"},
    )


def code(text) -> str:
    """``text`` as escaped inline HTML code."""
    return f"<code>{html.escape(str(text))}</code>"


def keras_shape(output_shape, **config) -> dict:
    """``keras_output_shape`` from a real layer, or ``None`` and ``keras_note`` saying why.

    Args:
        output_shape: one of the ``keras_*_output_shape`` functions.
        **config: its arguments.
    """
    try:
        return {"keras_output_shape": output_shape(**config), "keras_note": None}
    except ValueError as refusal:
        # Not our error: the arithmetic holds, Keras just does not implement it.
        return {"keras_output_shape": None, "keras_note": f"Keras refuses this layer: {refusal}"}


def keras_readout(state: dict, call: str) -> str:
    """The readout's Keras line: ``call`` maps the input to its shape, or Keras refuses."""
    if state["keras_note"]:
        return html.escape(state["keras_note"])
    shape = (1, state["input_size"], state["input_size"], 1)
    return f"<b>Keras</b> {code(call)}: {code(shape)} → {code(state['keras_output_shape'])}"


class Explorer:
    """Plumbing shared by the explorers: observe, recompute the state, redraw.

    A subclass calls ``_build(controls)`` and defines ``_compute(values)`` (the state),
    ``_draw()`` (a Figure) and ``_describe()`` (the readout's HTML).
    """

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
