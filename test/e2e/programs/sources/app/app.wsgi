# Reports the module's version and this interpreter's sys.path: the sources test's app.
import json
import sys

import mod_wsgi


def application(environ, start_response):
    body = json.dumps({"version": mod_wsgi.version, "group": mod_wsgi.process_group, "path": sys.path}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
