#!/usr/bin/env python3
"""A real SMTP server for the invitation tests: aiosmtpd (PyPI), with STARTTLS required before
AUTH, one user, and a recipient refused on purpose.

usage: smtp_server.py CERT KEY USER PASSWORD OUTDIR

Listens on 127.0.0.1 on a port the system picks and prints "port N" once ready. Each message
accepted is written to OUTDIR as N.eml, with its envelope (sender, recipients, whether the session
was in TLS and authenticated) in N.json. Recipients whose address starts with "refused" get
"550 5.1.1 mailbox unavailable". Runs until killed.
"""
import asyncio
import json
import os
import socket
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, out: str) -> None:
        self.out = out
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("refused"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.out, str(self.count))
        with open(base + ".eml", "wb") as handle:
            handle.write(envelope.original_content or envelope.content)
        with open(base + ".json", "w") as handle:
            json.dump(
                {
                    "from": envelope.mail_from,
                    "to": envelope.rcpt_tos,
                    "tls": session.ssl is not None,
                    "authenticated": bool(session.authenticated),
                },
                handle,
            )
        return "250 Message accepted for delivery"


def main() -> None:
    cert, key, user, password, out = sys.argv[1:6]
    os.makedirs(out, exist_ok=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        # handled=False: aiosmtpd then answers 535 itself (with True it answers nothing).
        return AuthResult(success=ok, handled=False)

    # A free port (aiosmtpd's controller checks it is up by connecting to the port it was given).
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    controller = Controller(
        Handler(out),
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    print(f"port {port}", flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
