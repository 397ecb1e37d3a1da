"""`python -m hf_transfer`: the `hf-transfer` command line."""

import sys

from .cli import main


sys.exit(main())
