#!/usr/bin/env python3
"""Baseline for the message-building benchmark: the same per-subscriber work
as `salarytrends bench-messages`, in Python with Jinja2 and email.message.

    newsletter_baseline.py DIR N

DIR is what `salarytrends bench-messages --emit DIR` wrote: the email HTML
split at the two personal places (rendered once, as salarytrends does), the
per-subscriber templates, the issue model and the charts. For each of N
generated subscribers (the same ones salarytrends generates) it renders the
"your roles" and unsubscribe fragments and the plain-text part with Jinja2,
builds multipart/alternative (text, then multipart/related with the HTML and
the two PNGs by Content-ID) with the same headers, formats it to bytes and
counts them. Prints "N seconds bytes".
"""
import email.policy
import email.utils
import hashlib
import hmac
import json
import sys
import time
import urllib.parse
from email.message import EmailMessage
from pathlib import Path

import jinja2


def main():
    d, n = Path(sys.argv[1]), int(sys.argv[2])
    meta = json.loads((d / "meta.json").read_text())
    model = json.loads((d / "model.json").read_text())
    head, middle, tail = (
        (d / f"email-{p}.html").read_text() for p in ("head", "middle", "tail")
    )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(d),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    your_t = env.get_template("your-roles.html")
    unsub_t = env.get_template("unsubscribe.html")
    text_t = env.get_template("newsletter.txt")
    charts = [(c["cid"], (d / c["file"]).read_bytes()) for c in meta["charts"]]
    key = meta["key"].encode()
    roles = meta["roles"]
    week = meta["week"]
    base = meta["base_url"].rstrip("/")
    date = email.utils.format_datetime(email.utils.parsedate_to_datetime("Mon, 23 Nov 2026 08:00:00 +0000"))
    domain = email.utils.parseaddr(meta["from"])[1].split("@")[1]

    start = time.perf_counter()
    total = 0
    for i in range(n):
        a, b = i % len(roles), (i * 7 + 3) % len(roles)
        followed = [roles[a]] if a == b else [roles[a], roles[b]]
        addr = f"reader{i:07d}@example.com"
        name = f"Reader {i}"
        token = hmac.new(key, b"unsubscribe\0" + addr.encode(), hashlib.sha256).hexdigest()
        url = f"{base}/unsubscribe?email={urllib.parse.quote(addr, safe='')}&token={token}"
        expires = "1805788800"
        ptoken = hmac.new(key, b"preferences\0" + addr.encode() + b"\0" + expires.encode(), hashlib.sha256).hexdigest()[:40]
        prefs = f"{base}/preferences?email={urllib.parse.quote(addr, safe='')}&token={expires}.{ptoken}"
        lines = [model["roles"][s] for s in followed if s in model["roles"]]
        first = name.split()[0]
        html = head + your_t.render(roles=lines, name=first) + middle + unsub_t.render(url=url, preferences_url=prefs, email=addr) + tail
        text = text_t.render(**{**model, "roles": lines, "name": first, "unsubscribe_url": url, "preferences_url": prefs})
        mid = hmac.new(key, f"message-id\0{week}\0{addr}".encode(), hashlib.sha256).hexdigest()[:32]

        msg = EmailMessage(policy=email.policy.SMTP)
        msg["From"] = meta["from"]
        msg["Reply-To"] = meta["reply_to"]
        msg["To"] = email.utils.formataddr((name, addr))
        msg["Subject"] = meta["subject"]
        msg["Date"] = date
        msg["Message-ID"] = f"<{week}.{mid}@{domain}>"
        msg["List-Unsubscribe"] = f"<{url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        msg.set_content(text)
        msg.add_alternative(html, subtype="html")
        html_part = msg.get_payload()[1]
        for cid, png in charts:
            html_part.add_related(png, "image", "png", cid=f"<{cid}>")
        total += len(msg.as_bytes())
    secs = time.perf_counter() - start
    print(f"{n} {secs:.4f} {total}")


if __name__ == "__main__":
    main()
