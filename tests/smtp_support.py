"""The real SMTP server the notification tests send to (aiosmtpd, scripts/smtp_capture.py).

`make test` starts one and exports TEST_SMTP_PORT and TEST_SMTP_DIR; run alone, the session starts
its own on a free port. Tests share it, so each test reads only the messages addressed to its own
recipients (addresses carry a per-test token)."""
from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class SmtpCapture:
    port: int
    directory: Path

    def messages(self, token: str) -> list[email.message.EmailMessage]:
        """The messages sent to addresses containing `token`, oldest first."""
        found = []
        for path in sorted(self.directory.glob("*.eml")):
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if token in (msg["To"] or ""):
                found.append(msg)
        return found


def start_capture(directory: Path, port: int = 0):
    """Start scripts/smtp_capture.py (on a free port by default); returns (process, port) once it
    listens."""
    proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "smtp_capture.py"), "--dir", str(directory),
                             "--port", str(port)], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().split()  # "ready PORT" once it listens
    if len(line) != 2 or line[0] != "ready":
        proc.kill()
        raise RuntimeError(f"the SMTP capture server did not start: {line}")
    return proc, int(line[1])


def body_of(msg) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()
