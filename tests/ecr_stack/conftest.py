import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "servers"))

from ecr_fixtures import *  # noqa: E402,F401,F403
from secret_scan import secret_scan_session  # noqa: E402,F401  (autouse, session)
