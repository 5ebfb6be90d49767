"""The ``fcn-tutorial`` command as a user meets it, for the tests that run it in its own
process (``test_cli``, ``test_training``): its exit code and its stderr, one line a message."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# TensorFlow's C++ start-up lines, written before its logging can be configured.
NATIVE_LOG = re.compile(r"^([IWEF]\d{4} [\d:.]+ +\d+ \S+:\d+\] |WARNING: All log messages before)")


def stderr_lines(text: str) -> list[str]:
    """The lines of ``text`` the package wrote: TensorFlow's native log left out."""
    return [line for line in text.strip().splitlines() if not NATIVE_LOG.match(line)]


def run_command(*argv, timeout=300, **env):
    """``python -m fcn_tutorial.cli ARGV`` in its own process, with ``env`` added.

    Returns:
        tuple: the finished process, and :func:`stderr_lines` of its stderr.
    """
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2", **env}
    result = subprocess.run(
        [sys.executable, "-m", "fcn_tutorial.cli", *argv],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return result, stderr_lines(result.stderr)
