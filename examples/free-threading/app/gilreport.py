"""A plain WSGI app (no dependencies) that reports the GIL state of the daemon process serving it.

GET /         JSON: the Python build, whether the GIL is on right now, and what mod_wsgi asked for.
GET /spin?threads=N&seconds=S
              N threads burn CPU for S seconds each; the answer is the process's CPU time over the wall time.
              With the GIL on, only one thread runs Python at a time: the ratio stays near 1 at most.
              Without it the threads run in parallel: up to N on N idle cores.
"""
import json
import os
import sys
import sysconfig
import threading
import time
from urllib.parse import parse_qs


def gil_report():
    try:
        import mod_wsgi  # only importable inside mod_wsgi

        served = {
            "mod_wsgi": ".".join(str(p) for p in mod_wsgi.version),
            "process_group": mod_wsgi.process_group,
            "application_group": mod_wsgi.application_group,
        }
    except ImportError:
        served = {"mod_wsgi": None}
    # mod_wsgi 6 has no Python attribute for WSGIFreeThreading: it sets PyConfig.enable_gil when it starts the
    # interpreter (0 with WSGIFreeThreading On, 1 with Off: it forces the GIL on by default even on a 3.13t
    # build), and sys.flags.gil shows that value. None: nobody set it (a build with the GIL, or no mod_wsgi).
    gil_flag = getattr(sys.flags, "gil", None)
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    return {
        **served,
        "python": sys.version.split()[0],
        "abi": sysconfig.get_config_var("SOABI"),
        "free_threaded_build": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "gil_enabled": is_gil_enabled() if is_gil_enabled else True,
        "gil_flag": gil_flag,
        "free_threading": gil_flag == 0,
        "pid": os.getpid(),
    }


def burn(seconds):
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        n += 1
    return n


def spin(threads, seconds):
    cpu0, wall0 = time.process_time(), time.monotonic()
    workers = [threading.Thread(target=burn, args=(seconds,)) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    return {"threads": threads, "wall": round(wall, 3), "cpu": round(cpu, 3), "cpu_per_wall": round(cpu / wall, 2)}


def application(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/spin":
        q = parse_qs(environ.get("QUERY_STRING", ""))
        threads = min(max(int(q.get("threads", ["2"])[0]), 1), 8)
        seconds = min(max(float(q.get("seconds", ["1"])[0]), 0.1), 5.0)
        body = {**spin(threads, seconds), "gil_enabled": gil_report()["gil_enabled"]}
    elif path in ("", "/"):
        body = gil_report()
    else:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]
    data = (json.dumps(body, sort_keys=True) + "\n").encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
