"""VGG16, the FCN paper's backbone, as tables: its layers, and every size and receptive
field through them, as a classifier and convolutionalized.

Introduced in ``03_pooling.ipynb`` (receptive fields through VGG16) and
``05_transfer_learning.ipynb`` (VGG16 stage by stage, classifier and convolutionalized).
"""

from __future__ import annotations

from fcn_tutorial.arithmetic.fields import receptive_field
from fcn_tutorial.arithmetic.sizes import conv_output_size

__all__ = [
    "VGG16_LAYERS",
    "vgg16_receptive_fields",
    "VGG16_FILTERS",
    "VGG16_HEAD",
    "vgg16_stages",
]


# VGG16's layer stack as data (Simonyan & Zisserman 2015, configuration D), the
# backbone of the FCN paper. Names match keras.applications.VGG16, and a test checks
# every kernel, stride and padding against it.
VGG16_LAYERS = tuple(
    [(f"block{b}_conv{c}", "conv", 3, 1, "same") for b, c in [(1, 1), (1, 2)]]
    + [("block1_pool", "pool", 2, 2, "valid")]
    + [(f"block2_conv{c}", "conv", 3, 1, "same") for c in (1, 2)]
    + [("block2_pool", "pool", 2, 2, "valid")]
    + [(f"block3_conv{c}", "conv", 3, 1, "same") for c in (1, 2, 3)]
    + [("block3_pool", "pool", 2, 2, "valid")]
    + [(f"block4_conv{c}", "conv", 3, 1, "same") for c in (1, 2, 3)]
    + [("block4_pool", "pool", 2, 2, "valid")]
    + [(f"block5_conv{c}", "conv", 3, 1, "same") for c in (1, 2, 3)]
    + [("block5_pool", "pool", 2, 2, "valid")]
)
"""tuple[(name, kind, kernel_size, strides, padding)]: VGG16's convolutional part."""


def vgg16_receptive_fields(input_size: int = 224) -> list[dict]:
    """Size, receptive field and overall stride after every layer of VGG16.

    Args:
        input_size: the square input's side.

    Returns:
        list[dict]: one row per layer with keys ``name``, ``kind``, ``output_size``,
        ``receptive_field``, ``jump`` and ``start``.

    Example:
        >>> vgg16_receptive_fields()[-1]["receptive_field"]
        212
    """
    rows, stack, size = [], [], input_size
    for name, kind, kernel_size, strides, padding in VGG16_LAYERS:
        size = conv_output_size(size, kernel_size, strides, padding)
        stack.append((kernel_size, strides, 1, padding))
        field = receptive_field(stack)
        rows.append(
            {
                "name": name,
                "kind": kind,
                "output_size": size,
                "receptive_field": field.size,
                "jump": field.jump,
                "start": field.start,
            }
        )
    return rows


VGG16_FILTERS = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}
"""dict[int, int]: output channels of each VGG16 block's convolutions."""
VGG16_HEAD = (("fc1", "fc6", 4096), ("fc2", "fc7", 4096), ("predictions", "fc8", 1000))
"""tuple: VGG16's Dense layers, their names in the FCN paper, and their widths."""


def vgg16_stages(input_size: int = 224, convolutional: bool = False) -> list[dict]:
    """VGG16 stage by stage, every spatial size computed with the formulas of ``sizes``.

    The sizes of ``figures/05_vgg16-architecture.png`` (``05_transfer_learning.ipynb``).

    Args:
        input_size: the square input's side.
        convolutional: ``False`` for the classifier (Flatten and three Dense layers, only
            defined at 224), ``True`` for the convolutionalized network (fc6 a 7×7 and
            fc7, fc8 1×1 valid convolutions), defined for any input of at least 224.

    Returns:
        list[dict]: one row per drawn stage: ``name`` (Keras' layer names), ``operation``
        and ``shape``, the stage's output ``(H, W, C)`` or ``(units,)``.

    Raises:
        ValueError: for a classifier at a size other than 224, or an input too small.

    Example:
        >>> vgg16_stages(500, convolutional=True)[-1]["shape"]
        (9, 9, 1000)
    """
    if not convolutional and input_size != 224:
        raise ValueError(
            f"VGG16's classifier takes 224x224 only, not {input_size}: its Dense layers fix "
            "the size. Pass convolutional=True for other sizes."
        )
    stages = [{"name": "input", "operation": "image", "shape": (input_size, input_size, 3)}]
    fields = {row["name"]: row for row in vgg16_receptive_fields(input_size)}
    for block, filters in VGG16_FILTERS.items():
        convs = [name for name in fields if name.startswith(f"block{block}_conv")]
        size = fields[convs[-1]]["output_size"]
        stages.append(
            {
                "name": f"{convs[0]}..{convs[-1].rsplit('_', 1)[1]}",
                "operation": f"{len(convs)}× conv 3×3, same, ReLU",
                "shape": (size, size, filters),
            }
        )
        size = fields[f"block{block}_pool"]["output_size"]
        stages.append(
            {
                "name": f"block{block}_pool",
                "operation": "max pool 2×2, stride 2",
                "shape": (size, size, filters),
            }
        )
    height, width, channels = stages[-1]["shape"]
    if not convolutional:
        stages.append(
            {"name": "flatten", "operation": "Flatten", "shape": (height * width * channels,)}
        )
        for name, _, units in VGG16_HEAD:
            activation = "softmax" if name == "predictions" else "ReLU"
            stages.append({"name": name, "operation": f"Dense, {activation}", "shape": (units,)})
        return stages
    # fc6 saw the whole 7×7 map at 224: as a convolution its kernel is that window.
    window = vgg16_receptive_fields(224)[-1]["output_size"]
    if height < window:
        raise ValueError(
            f"a {input_size}x{input_size} input leaves a {height}x{width} map, smaller than "
            f"fc6's {window}x{window} window: use an input of at least 224."
        )
    for (dense, name, units), kernel in zip(VGG16_HEAD, (window, 1, 1), strict=True):
        height = conv_output_size(height, kernel)
        width = conv_output_size(width, kernel)
        activation = "softmax per cell" if dense == "predictions" else "ReLU"
        stages.append(
            {
                "name": f"{name} (was {dense})",
                "operation": f"conv {kernel}×{kernel}, valid, {activation}",
                "shape": (height, width, units),
            }
        )
    return stages
