# WSGI script of the hand-written site: the daemon's python-path puts /srv/hello on sys.path.
from hello import app as application  # noqa: F401
