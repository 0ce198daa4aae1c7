# mod_wsgi entry point: mod_wsgi does not put the script's directory on sys.path.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gilreport import application  # noqa: E402,F401
