"""``python -m fcn_tutorial.figures [NAME ...] [--out DIR] [--list]``: ``fcn-tutorial figures``.

The command line is the CLI's, so its options and help live in one place.
"""

import sys

from fcn_tutorial import cli

if __name__ == "__main__":
    raise SystemExit(cli.main(["figures", *sys.argv[1:]]))
