"""`python -m rasa_server run …`: Rasa's own command line (`rasa run …`, any rasa command)
with rasa_server.speedups applied first. Run from the project root in Rasa's environment."""

import sys

from rasa_server import speedups

if __name__ == "__main__":
    speedups.apply()
    from rasa.__main__ import main

    sys.argv[0] = "rasa"
    main()
