"""``python -m launcher``: the whole stack, as ``make run`` starts it."""

import sys

from launcher.stack import main

sys.exit(main())
