"""``python -m bench.peers``: time the re-implemented peer generators (random weights)."""

import json

from bench.peers import main

print(json.dumps(main(), indent=2))
