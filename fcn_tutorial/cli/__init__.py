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
import re
import sys

from fcn_tutorial.cli import commands, parser
from fcn_tutorial.cli.parser import build_parser, parse_size

__all__ = [
    "main",
    "is_bad_input",
    "report",
    "in_flags",
    "parse_size",
    "build_parser",
    "commands",
    "parser",
]


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


def in_flags(message: str, settings) -> str:
    """A library message worded for the command line: ``num_val=24`` becomes ``--num-val 24``.

    The library names a setting as a Python keyword (``learning_rate=nan``), its advice for
    code; a command's user sets it with a flag, so each of the command's settings is
    rewritten.

    A switch's ``resume=True`` becomes ``--resume`` (the flag takes no value), and a bare
    ``out=`` the flag alone.

    Example:
        >>> in_flags("24 val images: pass num_val=5.", ["num_val"])
        '24 val images: pass --num-val 5.'
        >>> in_flags("pass resume=True to continue it", ["resume"])
        'pass --resume to continue it'
        >>> in_flags("num_train=0: pass at least 1, or None for all.", ["num_train"])
        '--num-train 0: pass at least 1, or leave the flag out for all.'
        >>> in_flags("or build it with weights=None (random weights).", ["weights"])
        'or build it with --weights none (random weights).'
        >>> in_flags("synthetic knows its classes. Leave num_classes out.", ["num_classes"])
        'synthetic knows its classes. Leave --num-classes out.'
    """
    worded = message
    for setting in settings:
        flag = "--" + setting.replace("_", "-")
        name = rf"(?<![\w.]){re.escape(setting)}="
        worded = re.sub(name + r"(True\b|(?=\s|$))", flag, worded)
        worded = re.sub(name, flag + " ", worded)
        worded = re.sub(rf"(?<=[Ll]eave ){re.escape(setting)}(?= out\b)", flag, worded)
    if worded == message:
        return message
    # None is Python's "unset": on the command line a flag left out, or, where the library
    # advises passing it (weights=None), the flag's word for it (--weights none).
    worded = re.sub(r"(--[\w-]+) None\b", r"\1 none", worded)
    return re.sub(r"\bor None\b", "or leave the flag out", worded)


def report(command: str, error: BaseException, settings=()) -> int:
    """Print ``error`` as one line on stderr, in the command's flags; return exit code 2.

    Args:
        command: the subcommand that failed.
        error: what the library raised.
        settings: the command's option names (``num_val`` ...), rewritten as flags.
    """
    message = in_flags(" ".join(str(error).split()) or type(error).__name__, settings)
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
            return report(args.command, error, [key for key in vars(args) if key != "command"])
        raise
