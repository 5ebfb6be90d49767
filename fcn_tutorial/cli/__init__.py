"""The ``fcn-tutorial`` command: open the notebooks, train, score and apply FCNs, rebuild figures.

- ``parser``: the one argparse parser, every subcommand's options, help and examples.
- ``commands``: what each subcommand does, as calls to the library.

``fcn-tutorial --help`` lists the commands; ``fcn-tutorial COMMAND --help`` shows a
command's options with their defaults and examples. Bad input (an unknown backbone, a
file that is not a model, an unreadable image) ends with a one-line message on stderr and
exit code 2, not a traceback; ``FCN_TUTORIAL_DEBUG=1`` shows the traceback anyway.
"""

from __future__ import annotations

import os
import sys

from fcn_tutorial.cli import commands, parser
from fcn_tutorial.cli.parser import build_parser, parse_size

__all__ = ["main", "is_bad_input", "report", "parse_size", "build_parser", "commands", "parser"]


def is_bad_input(error: BaseException) -> bool:
    """Whether ``error`` is the user's input being wrong (rather than a bug).

    Missing or unreadable files, unknown names, class counts that disagree, weights
    that cannot be had, a download that failed: the library raises these with a
    message that names the fix, so the CLI prints that message and nothing else.
    """
    if isinstance(error, (ValueError, FileNotFoundError, ConnectionError, IsADirectoryError)):
        return True
    classifiers = sys.modules.get("fcn_tutorial.models.classifiers")
    return classifiers is not None and isinstance(error, classifiers.WeightsUnavailableError)


def report(command: str, error: BaseException) -> int:
    """Print ``error`` as one line on stderr and return the exit code 2."""
    message = " ".join(str(error).split()) or type(error).__name__
    print(f"fcn-tutorial {command}: error: {message}", file=sys.stderr, flush=True)
    return 2


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``fcn-tutorial`` console script and ``python -m fcn_tutorial``.

    Returns:
        int: the exit code: 0 on success, 2 for bad input (after a one-line message on
        stderr), 1 for a measurement that could not be made.
    """
    args = build_parser().parse_args(argv)
    try:
        return commands.COMMANDS[args.command](args)
    except Exception as error:
        # The library's messages name the fix; a traceback would only bury it.
        if is_bad_input(error) and not os.environ.get("FCN_TUTORIAL_DEBUG"):
            return report(args.command, error)
        raise
