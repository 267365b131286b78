"""The app as gunicorn serves it for the HTTP phase: `gunicorn bench.serve:app`.

The real app (CSRF on, as in production), pointed at the bench database by the environment that
bench/http.py sets for the gunicorn process: BENCH_DATABASE_URL, REDIS_URL, BENCH_OUT.
"""
import os

from dangjian import create_app

_out = os.environ.get("BENCH_OUT", "bench/out")
app = create_app({
    "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
    "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:1/0"),
    "RQ_QUEUE": "bench-documents",
    "ARCHIVE_DIR": os.path.join(_out, "archive"),
    "UPLOAD_DIR": os.path.join(_out, "uploads"),
    "SECRET_KEY": "bench",
    "DEMO_MODE": False,
})
