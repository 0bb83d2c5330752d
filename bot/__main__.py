"""`python -m bot` is the `promobot` command."""

import sys

from bot.cli import main

sys.exit(main())
