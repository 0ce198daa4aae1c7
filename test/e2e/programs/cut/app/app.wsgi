# The connection-cut test's app: answers with its release marker (release.txt, next to this file) and the
# mod_wsgi version serving it, so the test can tell which release and which module the host is on.
import os

import mod_wsgi

HERE = os.path.dirname(os.path.realpath(__file__))


def application(environ, start_response):
    with open(os.path.join(HERE, "release.txt")) as f:
        release = f.read().strip()
    body = ("%s mod_wsgi/%s" % (release, ".".join(str(p) for p in mod_wsgi.version))).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
