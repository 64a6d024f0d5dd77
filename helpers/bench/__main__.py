"""``python -m helpers.bench <subcommand>``: see :mod:`helpers.bench.cli`."""

import sys

from helpers.bench.cli import main

if __name__ == "__main__":
    sys.exit(main())
