"""``python -m fcn_tutorial.datasets``: how fast this machine draws synthetic scenes."""

from fcn_tutorial.datasets.synthetic import benchmark_synthetic

print(benchmark_synthetic())
