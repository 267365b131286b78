"""文件核验 (/verify, issue 9 §5): anyone holding a printed or forwarded PDF checks that it is genuine
and still stands. No sign-in: a campus reader of a forwarded copy has no account.

* ``/verify/<code>`` (the QR code's address) and ``/verify?code=…`` (typed from paper): the
  document's public facts only (dangjian.documents.verification.public_facts);
* ``POST /verify``: an uploaded PDF's SHA-256 against the archive (genuine, an old version, voided,
  or not found). The file is hashed while it is read and never kept.

Rate-limited per client address (Flask-Limiter on the real Redis, VERIFY_RATE_LIMIT), with a
Chinese 429 page; every lookup leaves an audit row (no user, the client address).
"""
from __future__ import annotations

import time

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from flask_wtf.file import FileField
from werkzeug.exceptions import RequestEntityTooLarge

from .. import audit
from ..documents import codes
from ..documents.verification import VERIFY_PATH, find_by_code, find_by_sha256, public_facts, sha256_of
from ..extensions import db, limiter
from .forms import ChineseForm

bp = Blueprint("verify", __name__)

#: A PDF starts with this within its first kilobyte (ISO 32000 lets a few bytes come before it).
_PDF_MAGIC, _MAGIC_WITHIN = b"%PDF-", 1024


class UploadForm(ChineseForm):
    printed = False  # nothing typed here reaches a PDF
    file = FileField("PDF 文件")


def _limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


def _limit_key() -> str:
    """Per client address (after ProxyFix), under this deployment's namespace in Redis."""
    return f"{current_app.config['LOGIN_RATE_LIMIT_NAMESPACE']}:verify:{request.remote_addr}"


_rate_limited = limiter.shared_limit(_limit, scope="verify", key_func=_limit_key)


def _max_bytes() -> int:
    return current_app.config["VERIFY_UPLOAD_MAX_MB"] * 1024 * 1024


def _page(status: int = 200, **context):
    if "form" not in context:  # an empty form: never read the request body (it may be the trouble)
        context["form"] = UploadForm(formdata=None)
    context.setdefault("max_mb", current_app.config["VERIFY_UPLOAD_MAX_MB"])
    resp = make_response(render_template("verify/index.html", **context), status)
    resp.headers["X-Robots-Tag"] = "noindex"  # codes in addresses are nobody's business
    return resp


def _audit(doc, via: str, result: str, **detail) -> None:
    audit.record("document.verify", doc, via=via, result=result, **detail)
    db.session.commit()


@bp.route(VERIFY_PATH, methods=["GET", "POST"])
@_rate_limited
def index():
    typed = request.args.get("code")
    if typed is not None:
        code = codes.normalize(typed)
        if code is None:
            return _page(400, typed=typed, code_error=_code_error(typed))
        return redirect(url_for(".code", code_text=code))
    if request.method == "POST":
        return _upload()
    return _page()


@bp.route(f"{VERIFY_PATH}/<code_text>")
@_rate_limited
def code(code_text: str):
    code = codes.normalize(code_text)
    if code is None:
        return _page(400, typed=code_text, code_error=_code_error(code_text))
    doc = find_by_code(code)
    if doc is None:
        _audit(None, "code", "not_found", verification_code=code)
        return _page(404, typed=codes.display(code),
                     code_error=f"未找到验证码 {codes.display(code)} 对应的文件。请核对验证码是否抄写正确。")
    facts = public_facts(doc)
    _audit(doc, "code", facts["validity"].value)
    return _page(facts=facts, via="code")


def _code_error(typed: str) -> str:
    if not typed.strip():
        return "请输入验证码"
    return "验证码格式不正确：应为13位字母和数字，如 ABCD-EFGH-JKMNP"


def _upload():
    # A body over the app's MAX_CONTENT_LENGTH is refused while it is read (413, too_large below);
    # the page's own, smaller limit is checked while hashing.
    form = UploadForm()
    if not form.validate_on_submit():  # CSRF is refused before this (the app's CSRFError page)
        return _page(400, form=form, upload_error="；".join(e for errs in form.errors.values() for e in errs))
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        return _page(400, form=form, upload_error="请选择要核验的 PDF 文件")
    stream = upload.stream
    head = stream.read(_MAGIC_WITHIN)
    if not head:
        return _page(400, form=form, upload_error="上传的文件是空的，请重新选择")
    if _PDF_MAGIC not in head:
        return _page(400, form=form, upload_error="上传的文件不是 PDF 文件。本页只能核验本系统生成的 PDF 文件")
    stream.seek(0)
    try:
        digest, size = sha256_of(stream, _max_bytes())
    except ValueError:
        return _too_large()
    doc = find_by_sha256(digest)
    if doc is None:
        _audit(None, "upload", "not_found", sha256=digest, size=size)
        return _page(form=form, via="upload", upload_sha256=digest, not_found=True)
    facts = public_facts(doc)
    _audit(doc, "upload", facts["validity"].value, sha256=digest)
    return _page(form=form, via="upload", upload_sha256=digest, facts=facts)


def _too_large():
    mb = current_app.config["VERIFY_UPLOAD_MAX_MB"]
    return _page(413, upload_error=f"文件过大：本页核验的 PDF 文件不能超过 {mb} MB。")


@bp.errorhandler(RequestEntityTooLarge)
def too_large(e):
    return _too_large()


@bp.errorhandler(429)
def too_many(e):
    resp = _page(429, limited=True)
    current = limiter.current_limit
    if current is not None:  # the seconds until the window ends
        resp.headers["Retry-After"] = str(max(1, current.reset_at - int(time.time())))
    return resp
