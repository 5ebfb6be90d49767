"""Read a built FCN's graph: the maps it fuses, their shapes, and the layers between them.

Introduced in ``06_skip_layers.ipynb``, whose ``figures/06_skip-architecture.png`` is
drawn from :func:`skip_graph`. Public Keras API only: a layer's ``input`` and ``output``
tensors, each input matched to the layer whose output it is.
"""

from __future__ import annotations

import keras

from fcn_tutorial.models.backbones import SKIP_TAPS
from fcn_tutorial.models.fcn import SKIP_LAYERS, VARIANTS, build_fcn

__all__ = ["skip_graph"]


def _producers(model: keras.Model) -> dict:
    """Each symbolic tensor of ``model``, by ``id``, to the layer whose output it is."""
    # Only Keras' private history links a tensor to its layer; but the tensors a layer was
    # called on are the very objects the layers before it returned, so match them by id.
    return {
        id(tensor): layer for layer in model.layers for tensor in keras.tree.flatten(layer.output)
    }


def _parents(layer, producers: dict) -> list:
    """The layers whose outputs ``layer`` was called on, in the order of its inputs."""
    return [producers[id(tensor)] for tensor in keras.tree.flatten(layer.input)]


def _describe(layer) -> str:
    """What a layer on a path between two drawn maps does, from its own configuration."""
    kind = type(layer).__name__
    if kind == "Conv2DTranspose":
        kernel, strides = layer.kernel_size[0], layer.strides[0]
        learned = "learned" if layer.trainable else "fixed"
        height, width = layer.output.shape[1:3]
        return (
            f"{layer.name}: ×{strides} up\n{kernel}×{kernel}, bilinear, {learned}\n"
            f"to {height}×{width}"
        )
    if kind == "Conv2D":
        kernel = layer.kernel_size[0]
        return f"{layer.name}: {kernel}×{kernel} conv"
    if kind == "Dropout":
        return f"{layer.name}: dropout {layer.rate:g}"
    return layer.name


def skip_graph(
    variant: str, backbone: str = "mobilenet", alpha: float = 0.25, input_size=(360, 480)
) -> dict:
    """The maps an FCN variant fuses and the layers between them, read from a built model.

    Builds ``build_fcn(11, backbone, variant, weights=None)`` on a fixed input size and
    walks its graph back from ``score``: the drawn maps are the input, the backbone's
    taps (:data:`~fcn_tutorial.models.SKIP_TAPS`), ``score_fr``, the fusions
    (:data:`~fcn_tutorial.models.SKIP_LAYERS`) and ``score``; every layer met between two
    of them labels the edge. Shapes are the layers' own symbolic output shapes.

    Args:
        variant: ``"fcn32s"``, ``"fcn16s"`` or ``"fcn8s"``.
        backbone: a key of ``models.BACKBONES``.
        alpha: the MobileNets' width multiplier (1.0 for VGG16).
        input_size: ``(H, W)`` of the input image.

    Returns:
        dict: ``padded`` (the ``(H', W')`` the ``pad`` layer rounds up to), ``nodes``
        (``{layer name: {"label", "shape", "stride"}}``, ``shape`` ``(H, W, C)`` and
        ``stride`` the padded size over the map's) and ``edges`` (``(source, target,
        [descriptions of the layers between])``).

    Example:
        >>> graph = skip_graph("fcn16s")
        >>> graph["nodes"]["fuse_pool4"]["shape"], graph["nodes"]["fuse_pool4"]["stride"]
        ((24, 30, 11), 16)
    """
    options = {} if backbone == "vgg16" else {"alpha": alpha}
    if backbone == "vgg16":
        options["fc_width"] = 64  # the shapes are the same at any width; this builds fast
    model = build_fcn(11, backbone, variant, weights=None, input_shape=(*input_size, 3), **options)
    padded = tuple(model.get_layer("pad").output.shape[1:3])
    producers = _producers(model)
    taps = {name: tap for tap, name in SKIP_TAPS[backbone].items()}
    labels = {"image": "input image", "score_fr": "score_fr (1×1 conv)", "score": "score (output)"}
    labels.update({name: f"{tap} = {name}" for name, tap in taps.items()})
    for tap in VARIANTS[variant]:
        labels[SKIP_LAYERS[tap]["fuse"]] = f"{SKIP_LAYERS[tap]['fuse']} (sum)"
    nodes, edges = {}, []
    pending = ["score"]
    while pending:
        name = pending.pop()
        if name in nodes:
            continue
        layer = model.get_layer(name)
        height, width, channels = layer.output.shape[1:]
        stride = padded[0] // height if name not in ("image", "score") else 1
        nodes[name] = {"label": labels[name], "shape": (height, width, channels), "stride": stride}
        if name == "image" or name in taps:
            continue
        for parent in _parents(layer, producers):
            between = []
            while parent.name not in labels:
                between.append(parent)
                (parent,) = _parents(parent, producers)
            described = [_describe(p) for p in reversed(between)]
            edges.append((parent.name, name, described))
            pending.append(parent.name)
    for name, node in nodes.items():
        height, width = node["shape"][:2]
        if name not in ("image", "score") and padded != (
            height * node["stride"],
            width * node["stride"],
        ):
            raise ValueError(f"{name} {node['shape']} is not the padded {padded} over a stride")
    return {"padded": padded, "nodes": nodes, "edges": sorted(edges)}
