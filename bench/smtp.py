#!/usr/bin/env python3
"""Delivery benchmark: `salarytrends send` to a local aiosmtpd, against
Python's smtplib sending the same messages on one connection to the same
server, in the same run.

    python3 bench/smtp.py [--subscribers 10000] [--connections 8]

Needs a release build (cargo build --release) and aiosmtpd. The server
counts messages and stores nothing, so the client is measured, not the
disk. salarytrends' time includes rendering and building every message;
smtplib sends messages already built (read from the file outbox first).
"""
import argparse
import email
import email.policy
import email.utils
import os
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import measure

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "salarytrends"


def start_server(workdir):
    out = open(workdir / "smtp.out", "w+")
    proc = subprocess.Popen(
        [sys.executable, ROOT / "tests" / "smtp" / "server.py", "--listen", "127.0.0.1:0"],
        stdout=out,
        stderr=subprocess.PIPE,
    )
    for _ in range(100):
        out.seek(0)
        line = out.readline()
        if line.startswith("listening "):
            return proc, line.split()[1]
        time.sleep(0.05)
    sys.exit("the SMTP server did not start")


def stop_server(proc):
    proc.terminate()
    _, err = proc.communicate()
    return int(err.decode().split("accepted ")[1].split()[0])


def config(dir, transport, connections, addr):
    (dir / "salarytrends.toml").write_text(
        f"""subscribers = "data/subscribers.csv"
state_db = "state-{transport}-{connections}.sqlite"
[delivery]
transport = "{transport}"
smtp_url = "smtp://{addr}"
connections = {connections}
max_per_second = 0
"""
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscribers", type=int, default=10_000)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--stock-messages", type=int, default=500,
                    help="messages sent with lettre's stock SmtpTransport (about 22 a second)")
    args = ap.parse_args()
    if not BIN.exists():
        sys.exit("build first: cargo build --release")
    n = args.subscribers
    os.environ["SALARYTRENDS_UNSUBSCRIBE_KEY"] = "bench-key"
    env = os.environ
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        run = lambda *a: subprocess.run([BIN, "-q", *a], cwd=d, env=env, check=True)
        run("gen-data", "--out", "data", "--open", "3000", "--subscribers", str(n))
        run("snapshot", "--weeks", "2026-W46..2026-W47")

        # The messages, built once into the file outbox for the baseline.
        config(d, "file", 2, "-")
        run("send", "--week", "2026-W47")
        outbox_dir = d / "output" / "2026-W47" / "outbox"
        active = sum(1 for _ in outbox_dir.iterdir())
        rows = []
        for connections in sorted({1, args.connections}):
            proc, addr = start_server(d)
            config(d, "smtp", connections, addr)
            wall, rss = measure([BIN, "-q", "send", "--week", "2026-W47"], d)
            accepted = stop_server(proc)
            assert accepted == active, f"server accepted {accepted} of {active}"
            rows.append((f"salarytrends send, {connections} connection(s)", wall, rss))

        # Read only now: a process started while this one holds the messages
        # would count them in its peak memory (fork copies the parent).
        outbox = sorted(outbox_dir.iterdir())
        messages = []
        for f in outbox:
            raw = f.read_bytes()
            to = email.message_from_bytes(raw, policy=email.policy.compat32)["To"]
            messages.append((email.utils.parseaddr(to)[1], raw))
        size = sum(len(m) for _, m in messages) / active

        proc, addr = start_server(d)
        host, port = addr.rsplit(":", 1)
        start = time.perf_counter()
        with smtplib.SMTP(host, int(port)) as s:
            for to, raw in messages:
                s.sendmail("trends@example.com", [to], raw)
        py_wall = time.perf_counter() - start
        accepted = stop_server(proc)
        assert accepted == active, f"server accepted {accepted} of {active}"

        # One connection, lettre's stock SmtpTransport against the one-write
        # DATA salarytrends uses: on the newsletter, and on small messages
        # (where Nagle's algorithm holds the end-of-data marker for the
        # server's delayed ACK).
        subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "lettre_stock"], cwd=ROOT, check=True)
        small_dir = d / "small"
        small_dir.mkdir()
        for i, (to, _) in enumerate(messages[: args.stock_messages]):
            (small_dir / f"{i:05d}.eml").write_bytes(
                f"From: trends@example.com\r\nTo: <{to}>\r\nSubject: small {i}\r\n\r\n".encode()
                + b"A short plain-text message.\r\n" * 40
            )
        one_conn = []
        for label, folder in (("141 KiB newsletter", outbox_dir), ("1.2 KiB text", small_dir)):
            for mode in ("stock", "one-write"):
                proc, addr = start_server(d)
                out = subprocess.run(
                    [ROOT / "target" / "release" / "examples" / "lettre_stock", addr, folder, str(args.stock_messages), mode],
                    check=True, capture_output=True, text=True,
                ).stdout.split()
                stop_server(proc)
                one_conn.append((label, mode, int(out[0]), float(out[1])))

    print(f"{active} messages of {size / 1024:.0f} KiB on average to a local aiosmtpd")
    print(f"{'client':<44} {'s':>7} {'msg/s':>8} {'peak MiB':>9} {'vs smtplib':>11}")
    py_rate = active / py_wall
    print(f"{'Python smtplib, 1 connection (baseline)':<44} {py_wall:>7.2f} {py_rate:>8.0f} {'':>9} {'1.00x':>11}")
    for name, wall, rss in rows:
        rate = active / wall
        print(f"{name:<44} {wall:>7.2f} {rate:>8.0f} {rss:>9.0f} {rate / py_rate:>10.2f}x")

    print()
    print(f"one connection, {args.stock_messages} messages: lettre's send_raw against the one-write DATA")
    for label, mode, count, secs in one_conn:
        print(f"  {label:<20} {mode:<10} {count / secs:>8.0f} messages/s")


if __name__ == "__main__":
    main()

