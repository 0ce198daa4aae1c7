"""A program with type errors against the SDK: the checkers must refuse it (proves they see the SDK's types).

Each line marked `# wrong:` is one error both mypy and pyright must report.
"""

import pulumi_modwsgi as modwsgi

modwsgi.DaemonProcess("d", name="d", threads="five")  # wrong: threads is an int
modwsgi.Application("a", name="a", process_group="d", source="app", mount_point=3)  # wrong: mount_point is a str
modwsgi.StaticFilesArgs(url_path="/s")  # wrong: directory is required
modwsgi.Provider("p", host="h", no_such_input=1)  # wrong: no such input
