"""``python -m testkit.phones``: one process of pjsua2 seat phones, JSON lines on stdio."""

import sys

from testkit.phones.process import main

sys.exit(main())
