"""`python -m hotline.cli ...`, as the `hotline` script."""

import sys

from hotline.cli import main

sys.exit(main())
