"""``python -m fcn_tutorial.datasets``: how fast this machine draws synthetic scenes."""

from fcn_tutorial.datasets.throughput import synthetic_images_per_s

print(synthetic_images_per_s())
