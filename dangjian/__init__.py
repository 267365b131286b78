"""党建关怀 dangjian: the party committee's incentive, care and assistance approvals."""
import os
import secrets

from flask import Flask

from .config import Config


def _secret_key(app: Flask) -> str:
    """SECRET_KEY from the environment, else one generated once into instance/secret_key."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = os.path.join(app.instance_path, "secret_key")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    with open(path) as f:
        return f.read().strip()


def create_app(test_config: dict | None = None) -> Flask:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(__name__, instance_relative_config=True,
                instance_path=os.path.join(root, "instance"),
                template_folder=os.path.join(root, "templates"))
    app.config.from_object(Config)
    app.config.from_pyfile("config.py", silent=True)
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app)
    if not app.config.get("DATA_KEYS"):
        from .personal_data import load_data_keys
        app.config["DATA_KEYS"] = load_data_keys(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "dangjian.sqlite3")
    app.config["ARCHIVE_DIR"] = app.config.get("ARCHIVE_DIR") or os.path.join(app.instance_path, "archive")
    app.config["UPLOAD_DIR"] = app.config.get("UPLOAD_DIR") or os.path.join(app.instance_path, "uploads")

    from . import db_setup, models, notifications, request_types  # noqa: F401  (register models and types)
    from .extensions import csrf, db, login_manager, migrate
    from .htmx import htmx

    db.init_app(app)
    db_setup.configure(app)
    migrate.init_app(app, db, directory=os.path.join(root, "migrations"), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)

    from . import plugins
    plugins.check(app)  # a package that breaks the plug-in contract stops the start, loudly

    from .web import register_web
    register_web(app)

    from .cli import register_cli
    register_cli(app)
    return app
