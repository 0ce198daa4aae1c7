# ops13's app: /slow keeps running Python bytecode (so an injected mod_wsgi.RequestTimeout lands), /gil reports
# the interpreter it runs in and whether that interpreter has a GIL of its own; anything else answers at once.
import json
import os
import sys
import time


def interpreter():
    try:
        import _interpreters  # Python 3.13 (3.12: _xxsubinterpreters, without get_config)

        iid = int(_interpreters.get_current()[0])
        gil = getattr(_interpreters.get_config(iid), "gil", None)
    except ImportError:
        iid, gil = None, None
    return {"interpreter": iid, "gil": gil, "python": sys.version.split()[0], "implementation": sys.implementation.name}


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/slow":
        end = time.monotonic() + 120
        while time.monotonic() < end:
            time.sleep(0.05)
        body = b"slow request finished\n"
    elif path == "/gil":
        info = interpreter()
        info.update(pid=os.getpid(), group=environ.get("mod_wsgi.application_group"))
        body = (json.dumps(info) + "\n").encode()
    else:
        body = ("ok pid %d\n" % os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
