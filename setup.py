"""The one build step pyproject.toml cannot say: the wheel carries the tutorial itself.

``notebooks/``, ``figures/`` and ``results/`` stay at the repository's top level (GitHub
shows them there; the notebooks link ``../figures/``). A built wheel gets a copy of them
in ``fcn_tutorial/material/``, which ``fcn-tutorial lab`` copies into a folder the learner
owns (``fcn_tutorial.workspace``). An editable install (``make``) copies nothing: it reads
the repository's folders. Everything else about the package is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# The same folders and patterns as fcn_tutorial.workspace.SHIPPED (tests/test_install.py).
SHIPPED = {
    "notebooks": ("*.ipynb",),
    "figures": ("*.png", "*.gif", "*.mp4", "*.webp"),
    "results": ("*.json",),
}


class BuildPyWithTutorial(build_py):
    """``build_py`` that also copies the notebooks, figures and results into the package."""

    def run(self):
        super().run()
        if self.editable_mode:
            return
        for folder, patterns in SHIPPED.items():
            for pattern in patterns:
                for source in sorted((ROOT / folder).glob(pattern)):
                    target = Path(self.build_lib, "fcn_tutorial", "material", folder)
                    self.mkpath(str(target))
                    self.copy_file(str(source), str(target / source.name))


setup(cmdclass={"build_py": BuildPyWithTutorial})
