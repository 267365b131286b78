"""A real SMTP server (aiosmtpd) that keeps every message it accepts as an .eml file.

    python scripts/smtp_capture.py --dir DIR [--host 127.0.0.1] [--port 0]

Prints `ready PORT` on stdout once it listens (port 0: a free port), then serves until SIGTERM or
SIGINT. Each message is written to DIR/<time>-<n>.eml atomically (a temporary name, then rename)
before the server answers 250, so a sender that got its 250 finds the file there. `make test`
starts one (scripts/lib.sh start_smtp); tests/smtp_support.py starts its own when none is given.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import time

from aiosmtpd.smtp import SMTP

_seq = itertools.count(1)


class SaveToDir:
    def __init__(self, directory: str):
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.time_ns()}-{os.getpid()}-{next(_seq)}"
        tmp = os.path.join(self.directory, f".{name}.tmp")
        with open(tmp, "wb") as f:
            for rcpt in envelope.rcpt_tos:  # the envelope recipients, as a Maildir delivery would
                f.write(f"X-Envelope-To: {rcpt}\r\n".encode())
            content = envelope.original_content or envelope.content
            f.write(content if isinstance(content, bytes) else content.encode("utf-8"))
        os.replace(tmp, os.path.join(self.directory, f"{name}.eml"))
        return "250 Message accepted for delivery"


async def serve(host: str, port: int, directory: str) -> None:
    loop = asyncio.get_running_loop()
    handler = SaveToDir(directory)
    server = await loop.create_server(lambda: SMTP(handler, enable_SMTPUTF8=True), host, port)
    print(f"ready {server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    asyncio.run(serve(args.host, args.port, args.dir))


if __name__ == "__main__":
    main()
