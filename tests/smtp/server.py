#!/usr/bin/env python3
"""A test SMTP server: aiosmtpd storing every accepted message in a Maildir,
one copy per recipient (with Delivered-To and Return-Path lines), and
refusing on request.

  server.py --listen 127.0.0.1:0 --maildir DIR [--tempfail ADDR=N ...]
            [--reject ADDR ...] [--delay-ms MS] [--pid-file F]

Prints "listening HOST:PORT" on stdout once it accepts connections.
--tempfail ADDR=N answers 451 to the first N RCPT TO:<ADDR>; --reject ADDR
answers 550; --delay-ms sleeps before answering each DATA (a slow server).
"""

import argparse
import asyncio
import mailbox
import os
import signal
import sys

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, maildir, tempfail, reject, delay_ms):
        self.box = mailbox.Maildir(maildir, create=True) if maildir else None
        self.tempfail = tempfail
        self.tries = {}
        self.reject = reject
        self.delay = delay_ms / 1000.0
        self.accepted = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        addr = address.lower()
        if addr in self.reject:
            return "550 5.1.1 <%s>: no such user here" % address
        self.tries[addr] = self.tries.get(addr, 0) + 1
        if self.tries[addr] <= self.tempfail.get(addr, 0):
            return "451 4.3.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.box is not None:
            for rcpt in envelope.rcpt_tos:
                # As a receiving MTA does: the recipient, then the envelope sender.
                self.box.add(
                    b"Delivered-To: " + rcpt.encode() + b"\r\n"
                    + b"Return-Path: <" + (envelope.mail_from or "").encode() + b">\r\n"
                    + envelope.original_content
                )
        self.accepted += 1
        return "250 2.0.0 Message accepted for delivery"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", default="127.0.0.1:0")
    ap.add_argument("--maildir")
    ap.add_argument("--tempfail", action="append", default=[], metavar="ADDR=N")
    ap.add_argument("--reject", action="append", default=[], metavar="ADDR")
    ap.add_argument("--delay-ms", type=float, default=0.0)
    ap.add_argument("--pid-file")
    args = ap.parse_args()

    tempfail = {}
    for t in args.tempfail:
        addr, n = t.rsplit("=", 1)
        tempfail[addr.lower()] = int(n)
    handler = Handler(args.maildir, tempfail, {r.lower() for r in args.reject}, args.delay_ms)
    host, port = args.listen.rsplit(":", 1)

    async def serve():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SMTP(handler, hostname="test-smtp.localhost", ident="salarytrends test SMTP"),
            host,
            int(port),
        )
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        bound = server.sockets[0].getsockname()
        if args.pid_file:
            with open(args.pid_file, "w") as f:
                f.write("%d\n" % os.getpid())
        print("listening %s:%d" % (bound[0], bound[1]), flush=True)
        async with server:
            await stop.wait()
        print("accepted %d messages" % handler.accepted, file=sys.stderr)

    asyncio.run(serve())


if __name__ == "__main__":
    main()
