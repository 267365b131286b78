"""Configuration defaults. Environment variables override them; `instance/config.py` may too."""
import os


class Config:
    # SQLite in instance/ is the embedded default; PostgreSQL in production via DATABASE_URL.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # filled in by create_app if unset
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    ARCHIVE_DIR = os.environ.get("DANGJIAN_ARCHIVE_DIR")  # default: instance/archive
    UPLOAD_DIR = os.environ.get("DANGJIAN_UPLOAD_DIR")  # default: instance/uploads
    # The login page and the terminal list demo accounts only in demo mode.
    DEMO_MODE = os.environ.get("DANGJIAN_DEMO") == "1"
    RQ_QUEUE = os.environ.get("DANGJIAN_RQ_QUEUE", "documents")
    # A document still pending this long after it was enqueued is enqueued again by the sweep
    # (a document left rendering is taken back after the render job's timeout + 60 s).
    DOCUMENT_STUCK_AFTER_SECONDS = int(os.environ.get("DANGJIAN_DOCUMENT_STUCK_AFTER", "120"))
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024  # uploads: 20 MB per request
    PER_PAGE = 20
    TIMEZONE = os.environ.get("DANGJIAN_TIMEZONE", "Asia/Shanghai")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
