# Managed by Pulumi (modwsgi). Edits by hand are reported by `pulumi refresh` and reverted by `pulumi up`.
import json
import os
import sys

with open("/srv/modwsgi/shop/env.json", encoding="utf-8") as _f:
    os.environ.update(json.load(_f))

sys.path.insert(0, "/srv/modwsgi/shop/current")
from importlib import import_module  # noqa: E402

application = getattr(import_module("shop.web"), "app")
