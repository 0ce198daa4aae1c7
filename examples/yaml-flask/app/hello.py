"""A minimal Flask app that reports which mod_wsgi and daemon group serve it."""
import os
import sys

from flask import Flask, jsonify

# No Flask static route: files under static/ are served by Apache (the Application's staticFiles).
app = Flask(__name__, static_folder=None)


def server_info():
    try:
        import mod_wsgi  # only importable inside mod_wsgi

        return {
            "mod_wsgi": ".".join(str(p) for p in mod_wsgi.version),
            "process_group": mod_wsgi.process_group,
            "application_group": mod_wsgi.application_group,
        }
    except ImportError:
        return {"mod_wsgi": None}


@app.route("/")
def index():
    info = server_info()
    # GREETING comes from the Application's `environment` (set before this module was imported).
    return (
        f"{os.environ.get('GREETING', 'Hello')} from Flask, served by mod_wsgi/{info['mod_wsgi']} "
        f"in daemon group {info.get('process_group')!r} (Python {sys.version.split()[0]}, pid {os.getpid()})\n"
    )


@app.route("/info")
def info():
    return jsonify(server_info() | {"python": sys.version.split()[0], "pid": os.getpid(), "prefix": sys.prefix})


@app.route("/auth")
def auth():
    # Apache passes the Authorization header on only when the mount says passAuthorization.
    from flask import request

    return jsonify({"authorization": request.headers.get("Authorization")})
