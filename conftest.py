"""Set-up for everything pytest runs here, tests and notebooks alike (nbval included).

The Keras backend, the notebooks' quick speed, TensorFlow's oneDNN kernels, offline
ImageNet weights (a copy of ``../shared/keras_home`` when it is beside the repository), and
a folder for the session's quick experiment runs.
Here, not in ``tests/conftest.py``, so that ``pytest notebooks/05_...ipynb`` alone gets it.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("FCN_TUTORIAL_SPEED", "quick")
# As fcn_tutorial sets it (see its __init__), before any test imports Keras first.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

SHARED_KERAS_HOME = Path(__file__).resolve().parent.parent / "shared" / "keras_home"

# Keras reads KERAS_HOME when it is first imported, and the notebook kernels that nbval
# starts inherit this environment, so the copy must be in place before anything runs.
# A copy, because Keras writes keras.json there and ../shared is read-only.
if SHARED_KERAS_HOME.is_dir() and "FCN_TUTORIAL_TEST_KERAS_HOME" not in os.environ:
    _copy = Path(tempfile.mkdtemp(prefix="fcn-tutorial-keras-home-"))
    shutil.copytree(SHARED_KERAS_HOME, _copy, dirs_exist_ok=True)
    os.environ["KERAS_HOME"] = os.environ["FCN_TUTORIAL_TEST_KERAS_HOME"] = str(_copy)
    atexit.register(shutil.rmtree, _copy, ignore_errors=True)

# The notebooks' quick runs (fcn_tutorial.workspace.quick_runs_folder), in one folder per
# session: the browser suite's Run All trains them and nbval's run of the same notebook
# reuses them, but no session sees the runs of older code.
if "FCN_TUTORIAL_QUICK_RUNS" not in os.environ:
    _runs = tempfile.mkdtemp(prefix="fcn-tutorial-quick-runs-")
    os.environ["FCN_TUTORIAL_QUICK_RUNS"] = _runs
    atexit.register(shutil.rmtree, _runs, ignore_errors=True)


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: absent without it
def pytest_xdist_make_scheduler(config, log):
    """`make test`'s two pytest-xdist workers take whole units of work: one test module (so
    its module-scoped fixtures are made once), or all the notebooks with the browser suite,
    whose Run All trains the quick runs that nbval then reuses from one folder."""
    from xdist.scheduler import LoadScopeScheduling

    class ModulesAndNotebooks(LoadScopeScheduling):
        def _split_scope(self, nodeid):  # as xdist's own loadfile and loadgroup choose theirs
            path = nodeid.split("::")[0]
            return "notebooks" if path.startswith(("notebooks/", "tests/browser/")) else path

    return ModulesAndNotebooks(config, log)
