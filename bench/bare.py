"""The yardstick of the HTTP phase: a bare Flask route rendering a small template, served by
gunicorn exactly as the app is (`gunicorn bench.bare:app`). The inbox is measured against it."""
from pathlib import Path

from flask import Flask, render_template

app = Flask(__name__, template_folder=str(Path(__file__).with_name("templates")))

ITEMS = [f"第{i}项" for i in range(1, 11)]


@app.route("/")
def index():
    return render_template("bare.html", title="党建关怀", items=ITEMS)
