"""The flask-hello quickstart written against the generated Python SDK (sdk/python).

scripts/sdkgen/check-python.sh type-checks it with mypy --strict and pyright against the installed wheel: the
SDK's types must fit a real program. Running it needs a Pulumi Python language host, not built here yet.
"""

import pulumi
import pulumi_modwsgi as modwsgi

config = pulumi.Config()
with open(config.require("privateKeyFile"), encoding="utf-8") as key_file:
    private_key = pulumi.Output.secret(key_file.read())

provider = modwsgi.Provider(
    "web1",
    host=config.require("host"),
    host_key=config.require("hostKey"),
    private_key=private_key,
    jump_hosts=[modwsgi.HopArgs(host="bastion.example.org", host_key="SHA256:abc", user="jump")],
)
opts = pulumi.ResourceOptions(provider=provider)

mod = modwsgi.WsgiModule("mod-wsgi", version="6.1.1", opts=opts)
env = modwsgi.PythonEnv(
    "hello-env",
    name="hello",
    python=mod.python,
    requirements=["flask==3.1.2"],
    opts=pulumi.ResourceOptions(provider=provider, depends_on=[mod]),
)
daemon = modwsgi.DaemonProcess(
    "hello",
    name="hello",
    threads=5,
    python_home=env.path,
    user="www-data",
    group="www-data",
    opts=pulumi.ResourceOptions(provider=provider, depends_on=[mod]),
)
app = modwsgi.Application(
    "hello",
    name="hello",
    mount_point="/hello",
    source="../flask-hello/app",
    process_group=daemon.name,
    pass_authorization=True,
    # The keyword form takes the TypedDict; ApplicationArgs(static_files=...) takes StaticFilesArgs only.
    static_files=[{"url_path": "/hello/static", "directory": "static"}],
    environment={"GREETING": config.require_secret("greeting")},
    opts=opts,
)

mount = app.mount_point.apply(lambda m: m or "/")
pulumi.export("url", pulumi.Output.concat("http://", config.require("host"), mount, "/"))
