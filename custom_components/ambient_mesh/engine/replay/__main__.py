"""``python -m custom_components.ambient_mesh.engine.replay FILE...``: the command line in ``cli``."""

import sys

from .cli import main

sys.exit(main())
