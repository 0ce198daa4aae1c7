# Managed by Pulumi (modwsgi). Edits by hand are reported by `pulumi refresh` and reverted by `pulumi up`.
import json
import os
import runpy

with open("/srv/modwsgi/hello/env.json", encoding="utf-8") as _f:
    os.environ.update(json.load(_f))

application = runpy.run_path("/srv/modwsgi/hello/current/app.wsgi")["application"]
