"""``python -m fcn_tutorial.cli``: the same as the ``fcn-tutorial`` command."""

import sys

from fcn_tutorial.cli import main

sys.exit(main())
