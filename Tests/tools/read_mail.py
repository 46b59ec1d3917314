#!/usr/bin/env python3
"""Reads the messages a real mail server delivered to a Maildir, with Python's own e-mail parser
(not ours), for the invitation tests.

usage: read_mail.py MAILDIR TAG OUTDIR

MAILDIR is a Maildir (Postfix's delivery), or a folder of N.eml files each with its envelope in
N.json (smtp_server.py's). Keeps the messages whose original recipient (Postfix's X-Original-To,
or the envelope's) contains TAG, saves each
one's inline images and attachments in OUTDIR, and prints a JSON list: recipient, headers, the
text and HTML bodies, and the saved parts with their type, Content-ID and disposition.
"""
import email
import json
import os
import sys
from email import policy


def main() -> None:
    maildir, tag, out = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(out, exist_ok=True)
    found = []
    folders = [os.path.join(maildir, sub) for sub in ("new", "cur")]
    if not any(os.path.isdir(folder) for folder in folders):
        folders = [maildir]
    for folder in folders:
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            envelope = {}
            if name.endswith(".json"):
                continue
            if name.endswith(".eml"):
                with open(path[: -len(".eml")] + ".json") as handle:
                    envelope = json.load(handle)
            with open(path, "rb") as handle:
                # The headers first: the Maildir is shared, and most messages are other tests'.
                head = handle.read(4096)
                if tag.encode() not in head and not any(tag in to for to in envelope.get("to", [])):
                    continue
                handle.seek(0)
                message = email.message_from_binary_file(handle, policy=policy.default)
            recipient = str(message.get("X-Original-To", "")) or ",".join(envelope.get("to", []))
            if tag not in recipient:
                continue
            plain = message.get_body(preferencelist=("plain",))
            html = message.get_body(preferencelist=("html",))
            parts = []
            for index, part in enumerate(message.walk()):
                if part.is_multipart() or part.get_content_maintype() == "text":
                    continue
                saved = os.path.join(out, f"{name}.{index}.{part.get_filename() or 'part'}")
                with open(saved, "wb") as target:
                    target.write(part.get_payload(decode=True))
                parts.append(
                    {
                        "type": part.get_content_type(),
                        "content_id": str(part.get("Content-ID", "")),
                        "disposition": part.get_content_disposition(),
                        "file_name": part.get_filename(),
                        "path": saved,
                    }
                )
            found.append(
                {
                    "file": path,
                    "recipient": recipient,
                    "to": str(message["To"]),
                    "from": str(message["From"]),
                    "subject": str(message["Subject"]),
                    "message_id": str(message["Message-ID"]),
                    "language": str(message.get("Content-Language", "")),
                    "structure": [p.get_content_type() for p in message.walk()],
                    "text": plain.get_content() if plain else "",
                    "html": html.get_content() if html else "",
                    "parts": parts,
                    "tls": envelope.get("tls"),
                    "authenticated": envelope.get("authenticated"),
                }
            )
    json.dump(found, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
