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
    # Notifications (dangjian.notifications): e-mail and group-robot webhooks are sent by RQ jobs on
    # this queue. A job that fails (SMTP or a robot unreachable) runs again after these intervals.
    NOTIFY_QUEUE = os.environ.get("DANGJIAN_NOTIFY_QUEUE", "notifications")
    NOTIFY_RETRY_INTERVALS = [int(s) for s in os.environ.get("DANGJIAN_NOTIFY_RETRY", "60,300,1800").split(",") if s.strip()]
    # 每日汇总 is sent once a day from this hour on (local time, TIMEZONE) by `flask ticker`.
    NOTIFY_DIGEST_HOUR = int(os.environ.get("DANGJIAN_NOTIFY_DIGEST_HOUR", "8"))
    # Links in e-mails and robot messages, and the address every PDF prints (with a QR code) for
    # its verification (/verify): the address users open the system at.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    # The school's SMTP server. E-mail is off while SMTP_HOST is empty (in-app messages still work).
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_STARTTLS = os.environ.get("SMTP_STARTTLS") == "1"  # STARTTLS on a plain connection (port 587)
    SMTP_SSL = os.environ.get("SMTP_SSL") == "1"  # TLS from the start (port 465)
    SMTP_FROM = os.environ.get("SMTP_FROM", "党建关怀 <dangjian@localhost>")
    SMTP_TIMEOUT = int(os.environ.get("SMTP_TIMEOUT", "20"))
    # The font families the PDF templates use (templates/pdf/pdf.css). A form refuses a text with a
    # character none of them can draw (documents/glyphs.py). Comma-separated; empty: the default.
    PDF_FONT_FAMILIES = tuple(f.strip() for f in os.environ.get("DANGJIAN_PDF_FONT_FAMILIES", "").split(",")
                              if f.strip()) or None
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024  # uploads: 20 MB per request
    # 文件核验 (/verify, no sign-in): lookups per client address, and the largest PDF it checks
    # (at most MAX_CONTENT_LENGTH). A generated PDF is well under 1 MB.
    VERIFY_RATE_LIMIT = os.environ.get("DANGJIAN_VERIFY_RATE_LIMIT", "30 per minute;300 per hour")
    VERIFY_UPLOAD_MAX_MB = int(os.environ.get("DANGJIAN_VERIFY_UPLOAD_MAX_MB", "10"))
    PER_PAGE = 20
    TIMEZONE = os.environ.get("DANGJIAN_TIMEZONE", "Asia/Shanghai")
    # Font families of the red-header documents (GB/T 9704: 仿宋, 小标宋, 黑体, 楷体; 宋体 for page
    # numbers), as fontconfig names, comma-separated. Empty: the free defaults of
    # dangjian.documents.official.FONT_SETTINGS (Noto CJK, LXGW WenKai).
    PDF_FONT_FANGSONG = os.environ.get("DANGJIAN_PDF_FONT_FANGSONG", "")
    PDF_FONT_XIAOBIAOSONG = os.environ.get("DANGJIAN_PDF_FONT_XIAOBIAOSONG", "")
    PDF_FONT_HEITI = os.environ.get("DANGJIAN_PDF_FONT_HEITI", "")
    PDF_FONT_KAITI = os.environ.get("DANGJIAN_PDF_FONT_KAITI", "")
    PDF_FONT_SONGTI = os.environ.get("DANGJIAN_PDF_FONT_SONGTI", "")
    # The school's abbreviation in the default 文号 prefixes (西财 → 西财党发, 西财党组发 …), until
    # 组织部 sets each series' prefix on the 文号登记簿 page (documents.numbers).
    DOC_NUMBER_ABBR = os.environ.get("DANGJIAN_DOC_NUMBER_ABBR", "西财")
    # 超期提醒: the ticker reminds the holders of overdue steps once a day, on working days, from this
    # local hour on.
    OVERDUE_REMIND_HOUR = int(os.environ.get("DANGJIAN_OVERDUE_REMIND_HOUR", "8"))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    # --- The rendered-page cache of the inbox lists (dangjian.web.page_cache, issue 7 §6) ---
    # Off with DANGJIAN_PAGE_CACHE=0. Pages live in Redis (REDIS_URL) under CACHE_NAMESPACE, next to
    # the global data version (dangjian.data_version) that every committed write increments.
    PAGE_CACHE = os.environ.get("DANGJIAN_PAGE_CACHE", "1") != "0"
    CACHE_NAMESPACE = os.environ.get("DANGJIAN_CACHE_NAMESPACE", "dangjian")
    # A page's key carries the minute, so an entry is of no use after 60 s: it expires soon after.
    PAGE_CACHE_SECONDS = int(os.environ.get("DANGJIAN_PAGE_CACHE_SECONDS", "90"))
    PAGE_CACHE_MAX_BYTES = int(os.environ.get("DANGJIAN_PAGE_CACHE_MAX_BYTES", str(512 * 1024)))

    # --- Sign-in (dangjian.accounts: sessions, lockout, rate limit, LDAP, SSO) ---
    # Behind HTTPS (DANGJIAN_HTTPS=1): the session cookie is sent over HTTPS only.
    SESSION_COOKIE_SECURE = os.environ.get("DANGJIAN_HTTPS") == "1"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PREFERRED_URL_SCHEME = "https" if SESSION_COOKIE_SECURE else "http"
    # A session ends after this long without a request, and this long after sign-in in any case.
    SESSION_IDLE_MINUTES = int(os.environ.get("DANGJIAN_SESSION_IDLE_MINUTES", "30"))
    SESSION_ABSOLUTE_HOURS = int(os.environ.get("DANGJIAN_SESSION_ABSOLUTE_HOURS", "12"))
    # This many consecutive failed sign-ins lock the account for LOCKOUT_MINUTES.
    LOCKOUT_THRESHOLD = int(os.environ.get("DANGJIAN_LOCKOUT_THRESHOLD", "5"))
    LOCKOUT_MINUTES = int(os.environ.get("DANGJIAN_LOCKOUT_MINUTES", "15"))
    # Failed sign-ins per client address (a campus NAT puts many people behind one: be generous).
    LOGIN_RATE_LIMIT = os.environ.get("DANGJIAN_LOGIN_RATE_LIMIT", "30 per minute")
    # Rate-limit counters live in Redis under this namespace (several deployments may share a Redis).
    LOGIN_RATE_LIMIT_NAMESPACE = os.environ.get("DANGJIAN_LOGIN_RATE_LIMIT_NAMESPACE", "dangjian")
    RATELIMIT_STORAGE_URI = os.environ.get("DANGJIAN_RATELIMIT_STORAGE_URI")  # default: REDIS_URL
    RATELIMIT_SWALLOW_ERRORS = True  # Redis down: sign-in still works (lockout still applies)
    # How many reverse proxies (nginx) stand in front of the app: X-Forwarded-For is believed only
    # from them. 0: the app faces the clients directly and the header is ignored.
    PROXY_COUNT = int(os.environ.get("DANGJIAN_PROXY_COUNT", "0"))
    # LDAP sign-in (off unless AUTH_LDAP_URL is set), e.g. ldaps://ldap.example.edu.cn
    AUTH_LDAP_URL = os.environ.get("AUTH_LDAP_URL", "")
    AUTH_LDAP_BASE_DN = os.environ.get("AUTH_LDAP_BASE_DN", "")
    AUTH_LDAP_USER_FILTER = os.environ.get("AUTH_LDAP_USER_FILTER", "(uid={username})")  # by 工号
    AUTH_LDAP_BIND_DN = os.environ.get("AUTH_LDAP_BIND_DN", "")  # for the search; empty: anonymous
    AUTH_LDAP_BIND_PASSWORD = os.environ.get("AUTH_LDAP_BIND_PASSWORD", "")
    AUTH_LDAP_TIMEOUT = int(os.environ.get("AUTH_LDAP_TIMEOUT", "5"))
    # On: a directory user with no account gets one, linked to the member with that 工号, no roles.
    AUTH_LDAP_CREATE_USERS = os.environ.get("AUTH_LDAP_CREATE_USERS") == "1"
    # Single sign-on through a trusted reverse proxy (off unless the header is named), e.g.
    # AUTH_TRUSTED_HEADER=X-Remote-User AUTH_TRUSTED_PROXIES=127.0.0.1,10.0.0.5
    AUTH_TRUSTED_HEADER = os.environ.get("AUTH_TRUSTED_HEADER", "")
    AUTH_TRUSTED_PROXIES = [a.strip() for a in os.environ.get("AUTH_TRUSTED_PROXIES", "").split(",") if a.strip()]
    AUTH_TRUSTED_LOGOUT_URL = os.environ.get("AUTH_TRUSTED_LOGOUT_URL", "")  # the SSO's own logout
