"""FCN-8s on VGG16 in plain PyTorch: the benchmark's independent twin of the package's model.

Written from the paper (Long, Shelhamer & Darrell 2015) and the package's layer table, not
from the package's code, so that ``fcn8s_speed.py`` can time the same network written the
ordinary PyTorch way next to ``fcn_tutorial.models.build_fcn(11, backbone="vgg16",
variant="fcn8s", weights=None)``. It matches that model layer for layer and parameter for
parameter:

- input ``(N, 3, H, W)`` RGB in ``0 .. 255``; VGG16's Caffe preprocessing (to BGR, minus the
  ImageNet mean pixel), then zeros at the bottom and right up to a multiple of 32;
- VGG16's 13 3×3 convolutions in five blocks, each block ending in 2×2 max pooling
  (``pool3``, ``pool4``, ``pool5`` at strides 8, 16, 32);
- ``fc6`` a 7×7 convolution with padding 3 (``fc_width`` filters), ``fc7`` 1×1, each with
  ReLU and dropout; ``score_fr`` 1×1 to class scores;
- ``upscore2`` (2× transposed convolution, bilinear start) + ``score_pool4`` (1×1, zero
  start), summed; ``upscore_pool4`` + ``score_pool3``, summed; ``upscore`` (8×, kernel 16,
  bilinear, frozen); cropped back to ``H × W``.

Not part of the package: it lives in ``benchmarks/`` and needs PyTorch, which the package
does not. ``tests/test_benchmarks.py`` checks its shapes, its parameter count and, with
weights copied over, its output against the Keras model's.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional

__all__ = [
    "FCN8s",
    "bilinear_weights",
    "count_flops",
    "VGG16_BLOCKS",
    "CAFFE_MEAN_BGR",
    "NETWORK_STRIDE",
]

VGG16_BLOCKS = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))
"""tuple: the output channels of VGG16's 3×3 convolutions, block by block."""

CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
"""tuple: the ImageNet mean pixel VGG16 was trained with, in BGR order."""

NETWORK_STRIDE = 32


def bilinear_weights(channels: int, kernel_size: int) -> torch.Tensor:
    """A ``ConvTranspose2d`` weight that upsamples each channel bilinearly on its own.

    The factor is ``(kernel_size + 1) // 2``: kernel 4 upsamples by 2, kernel 16 by 8.

    Args:
        channels: input and output channels (one kernel per channel, none across).
        kernel_size: the square kernel's side.

    Returns:
        torch.Tensor: ``(channels, channels, kernel_size, kernel_size)`` float32, the layout
        of ``ConvTranspose2d.weight`` (in, out, kh, kw).
    """
    factor = (kernel_size + 1) // 2
    center = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    ramp = 1 - (torch.arange(kernel_size, dtype=torch.float64) - center).abs() / factor
    kernel = torch.outer(ramp, ramp).float()
    weight = torch.zeros(channels, channels, kernel_size, kernel_size)
    weight[range(channels), range(channels)] = kernel
    return weight


class FCN8s(nn.Module):
    """FCN-8s on VGG16, ``(N, 3, H, W)`` images in ``0 .. 255`` to ``(N, classes, H, W)``
    logits, for any ``H`` and ``W``.

    Args:
        num_classes: output channels (11 for CamVid).
        fc_width: filters of ``fc6`` and ``fc7`` (the paper's 4096).
        dropout: rate after ``fc6`` and ``fc7``.

    Example:
        >>> model = FCN8s(11, fc_width=64).eval()
        >>> tuple(model(torch.zeros(1, 3, 97, 131)).shape)
        (1, 11, 97, 131)
    """

    def __init__(self, num_classes: int = 11, fc_width: int = 4096, dropout: float = 0.5):
        super().__init__()
        self.blocks = nn.ModuleList()
        channels = 3
        for widths in VGG16_BLOCKS:
            block = []
            for width in widths:
                block += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(inplace=True)]
                channels = width
            block.append(nn.MaxPool2d(2, 2))
            self.blocks.append(nn.Sequential(*block))
        self.fc6 = nn.Conv2d(512, fc_width, 7, padding=3)
        self.fc7 = nn.Conv2d(fc_width, fc_width, 1)
        self.drop = nn.Dropout(dropout)
        self.score_fr = nn.Conv2d(fc_width, num_classes, 1)
        self.score_pool4 = nn.Conv2d(512, num_classes, 1)
        self.score_pool3 = nn.Conv2d(256, num_classes, 1)
        # padding = (kernel - stride) / 2 gives exactly stride × the input size.
        self.upscore2 = nn.ConvTranspose2d(num_classes, num_classes, 4, 2, 1, bias=False)
        self.upscore_pool4 = nn.ConvTranspose2d(num_classes, num_classes, 4, 2, 1, bias=False)
        self.upscore = nn.ConvTranspose2d(num_classes, num_classes, 16, 8, 4, bias=False)
        # The paper's initialisation: class scores start at zero, so an untrained net
        # predicts nothing in particular; upsampling starts as bilinear interpolation.
        for layer in (self.score_fr, self.score_pool4, self.score_pool3):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        with torch.no_grad():
            for layer in (self.upscore2, self.upscore_pool4, self.upscore):
                layer.weight.copy_(bilinear_weights(num_classes, layer.kernel_size[0]))
        self.upscore.weight.requires_grad_(False)  # fixed in the paper
        self.register_buffer("mean_bgr", torch.tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1))

    def layers_by_name(self) -> dict[str, nn.Module]:
        """The layers with weights under the Caffe/Keras names (``block1_conv1``, ``fc6``,
        ``upscore2`` ...), for copying weights between implementations."""
        named = {}
        for block_index, block in enumerate(self.blocks, start=1):
            convolutions = [m for m in block if isinstance(m, nn.Conv2d)]
            for conv_index, conv in enumerate(convolutions, start=1):
                named[f"block{block_index}_conv{conv_index}"] = conv
        for name in ("fc6", "fc7", "score_fr", "upscore2", "score_pool4", "upscore_pool4"):
            named[name] = getattr(self, name)
        named["score_pool3"] = self.score_pool3
        named["upscore"] = self.upscore
        return named

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, 3, H, W)`` RGB in ``0 .. 255`` to ``(N, num_classes, H, W)`` logits."""
        height, width = images.shape[-2:]
        x = images.flip(1) - self.mean_bgr.to(images.dtype)
        # Padding after the mean is subtracted: the padded pixels are the mean pixel.
        x = functional.pad(x, (0, -width % NETWORK_STRIDE, 0, -height % NETWORK_STRIDE))
        taps = []
        for block in self.blocks:
            x = block(x)
            taps.append(x)
        pool3, pool4, pool5 = taps[2:]
        x = self.drop(functional.relu(self.fc6(pool5)))
        x = self.drop(functional.relu(self.fc7(x)))
        score = self.upscore2(self.score_fr(x)) + self.score_pool4(pool4)
        score = self.upscore_pool4(score) + self.score_pool3(pool3)
        # float32 logits under mixed precision, as the Keras model's final layers are.
        with torch.autocast(images.device.type, enabled=False):
            logits = self.upscore(score.float())
        return logits[:, :, :height, :width]


def count_flops(model: nn.Module, image: torch.Tensor) -> int:
    """Multiply-adds × 2 of one image through a model's convolutions, counted with hooks.

    Args:
        model: any module; its ``Conv2d`` and ``ConvTranspose2d`` layers are counted (as
            ``fcn_tutorial.speed.model_flops`` counts Keras', other layers left out).
        image: ``(1, 3, H, W)``, on the model's device.

    Returns:
        int: floating-point operations for that image.
    """
    total = 0

    def count(module, inputs, output):
        nonlocal total
        kernel_h, kernel_w = module.kernel_size
        if isinstance(module, nn.ConvTranspose2d):
            _, in_channels, height, width = inputs[0].shape
        else:
            _, _, height, width = output.shape
            in_channels = module.in_channels // module.groups
        total += 2 * height * width * kernel_h * kernel_w * in_channels * module.out_channels

    kinds = (nn.Conv2d, nn.ConvTranspose2d)
    handles = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, kinds)]
    try:
        with torch.no_grad():
            model(image)
    finally:
        for handle in handles:
            handle.remove()
    return int(total)
