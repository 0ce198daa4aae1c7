# A Flask app made by an application factory (entryPoint "relapp:create_app()"). Its database and visit log live in
# the kept data directory, <release>/data; version.txt is the text the releases test changes for each release.
import sqlite3
from pathlib import Path

from flask import Flask, request

BASE_DIR = Path(__file__).resolve().parent.parent
DATA = BASE_DIR / "data"


def create_app():
    app = Flask(__name__)
    version = (BASE_DIR / "version.txt").read_text(encoding="utf-8").strip()

    @app.get("/")
    def index():
        return f"{version}\n", {"Content-Type": "text/plain"}

    # Rows the release command wrote (a missing database is an error: the health check asks here).
    @app.get("/notes")
    def notes():
        with sqlite3.connect(f"file:{DATA / 'app.db'}?mode=ro", uri=True) as db:
            rows = db.execute("SELECT text FROM notes ORDER BY id").fetchall()
        return "".join(f"{text}\n" for (text,) in rows), {"Content-Type": "text/plain"}

    # Appends to the data directory, which must outlive releases.
    @app.post("/visit")
    def visit():
        who = request.form.get("who", "anonymous")[:100]
        with open(DATA / "visits.txt", "a", encoding="utf-8") as f:
            f.write(f"{who}\n")
        return (DATA / "visits.txt").read_text(encoding="utf-8"), {"Content-Type": "text/plain"}

    # What the release command wrote into this release.
    @app.get("/built")
    def built():
        return (BASE_DIR / "built.txt").read_text(encoding="utf-8"), {"Content-Type": "text/plain"}

    # The release command: `flask --app relapp init-db`, run in the new release before it goes live.
    @app.cli.command("init-db")
    def init_db():
        with sqlite3.connect(DATA / "app.db") as db:
            db.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
            db.execute("INSERT OR IGNORE INTO notes (id, text) VALUES (1, 'written by the release command')")
        (BASE_DIR / "built.txt").write_text(f"built by init-db for {version}\n", encoding="utf-8")
        print(f"database ready for {version}")

    return app
