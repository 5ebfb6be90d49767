"""``python -m fcn_tutorial``: the same as the ``fcn-tutorial`` command."""

import sys

from fcn_tutorial.cli import main

sys.exit(main())
