"""``python -m ferroflow``: the ``ferroflow`` command line (see ``ferroflow.cli``)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
