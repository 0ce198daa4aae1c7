"""Quickstart in Python: a Flask app served by mod_wsgi 6.x in daemon mode on an Apache host over SSH.

Connection from stack config:
    pulumi config set host web1.example.org
    pulumi config set hostKey "$(ssh-keyscan -t ed25519 web1.example.org 2>/dev/null | cut -d' ' -f2-)"
    pulumi config set --secret privateKey < ~/.ssh/id_ed25519
"""

import os

import pulumi
import pulumi_modwsgi as modwsgi

config = pulumi.Config()
host = config.require("host")
mount_point = config.get("mountPoint") or "/python-hello"

provider = modwsgi.Provider(
    "web1",
    host=host,
    host_key=config.require("hostKey"),
    private_key=config.require_secret("privateKey"),
)
opts = pulumi.ResourceOptions(provider=provider)

# Installs what Apache and mod_wsgi's build need, only the missing packages.
apache = modwsgi.ApacheHost("apache", ensure_packages=True, opts=opts)
mod = modwsgi.WsgiModule("mod-wsgi", version="6.1.1", opts=opts.merge(pulumi.ResourceOptions(depends_on=[apache])))
after_module = opts.merge(pulumi.ResourceOptions(depends_on=[mod]))

# After the module: a venv is only useful with a module built for its Python.
env = modwsgi.PythonEnv(
    "hello-env",
    name="pyhello",
    python=mod.python,
    requirements=["flask==3.1.2"],
    opts=after_module,
)

daemon = modwsgi.DaemonProcess(
    "hello-daemon",
    name="pyhello",
    threads=5,
    python_home=env.path,
    user="www-data",
    group="www-data",
    opts=after_module,
)

app = modwsgi.Application(
    "hello",
    name="pyhello",
    mount_point=mount_point,
    # The provider runs in another directory: give it this program's own, absolute.
    source=os.path.join(os.path.dirname(os.path.abspath(__file__)), "app"),
    process_group=daemon.name,
    # Apache serves these files itself; the mount point's other URLs go to Flask.
    static_files=[modwsgi.StaticFilesArgs(url_path=f"{mount_point}/static", directory="static")],
    opts=opts,
)

# Flask answers the mount itself with a redirect to the trailing-slash form: point at that directly.
pulumi.export("url", app.mount_point.apply(lambda m: f"http://{host}{m.rstrip('/')}/"))
pulumi.export("modWsgiVersion", mod.module_version)
pulumi.export("daemonConfig", daemon.config_file)
