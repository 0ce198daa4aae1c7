# The hand-written site's Flask app (installed on the host by setup.sh, the classic way).
from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return "Hello from a hand-written mod_wsgi site\n"
