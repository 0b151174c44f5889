"""``python -m tui`` runs the runwatch command."""

import sys

from tui.cli import main

sys.exit(main())
