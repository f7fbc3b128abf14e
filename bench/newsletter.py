#!/usr/bin/env python3
"""Message-building benchmark: render and format the newsletter for generated
subscribers in memory (bytes counted, nothing written or sent), salarytrends
against Python's Jinja2 + email.message doing the same per-subscriber work
(bench/newsletter_baseline.py), in the same run.

    python3 bench/newsletter.py [--subscribers 100000] [--baseline-subscribers 2000]

salarytrends is measured at a tenth of --subscribers and at the full count,
to show that its memory does not grow with the list. The baseline runs
fewer subscribers (about 50 a second; 100,000 would take half an hour): the
rates compare per-message work. With DKIM on (the test key of
tests/fixtures/dkim, 2048-bit RSA) salarytrends is measured at a tenth of
--subscribers too: signing is the cost of one RSA private-key operation a
message. Needs a release build and `pip install jinja2`.
"""
import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import measure_out

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "salarytrends"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscribers", type=int, default=100_000)
    ap.add_argument("--baseline-subscribers", type=int, default=2_000)
    args = ap.parse_args()
    if not BIN.exists():
        sys.exit("build first: cargo build --release")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        run = lambda *a: subprocess.run([BIN, "-q", *a], cwd=d, check=True)
        run("gen-data", "--out", "data", "--open", "25000")
        run("snapshot", "--weeks", "2026-W46..2026-W47")
        subprocess.run([BIN, "-q", "bench-messages", "--subscribers", "1", "--emit", "emit"], cwd=d, check=True, capture_output=True)
        rows = []
        for n in (args.subscribers // 10, args.subscribers):
            wall, rss, out = measure_out([BIN, "-q", "bench-messages", "--subscribers", str(n)], d)
            count, secs, total = out.split()
            rows.append((f"salarytrends bench-messages ({n:,})", int(count), float(secs), int(total), wall, rss))
        key = ROOT / "tests" / "fixtures" / "dkim" / "test-rsa2048-pkcs8.pem"
        (d / "dkim.toml").write_text(
            f'[delivery.dkim]\ndomain = "example.com"\nselector = "bench"\nprivate_key_file = "{key}"\n'
        )
        n = args.subscribers // 10
        wall, rss, out = measure_out([BIN, "-q", "--config", "dkim.toml", "bench-messages", "--subscribers", str(n)], d)
        count, secs, total = out.split()
        rows.append((f"salarytrends bench-messages, DKIM ({n:,})", int(count), float(secs), int(total), wall, rss))
        n = args.baseline_subscribers
        wall, rss, out = measure_out([sys.executable, ROOT / "bench" / "newsletter_baseline.py", d / "emit", str(n)], d)
        count, secs, total = out.split()
        base = (f"Jinja2 + email.message ({n:,}, baseline)", int(count), float(secs), int(total), wall, rss)

    base_rate = base[1] / base[2]
    print(f"{'program (messages)':<44} {'build s':>8} {'msg/s':>8} {'KiB/msg':>8} {'peak MiB':>9} {'vs baseline':>12}")
    for name, count, secs, total, wall, rss in [base] + rows:
        rate = count / secs
        print(f"{name:<44} {secs:>8.2f} {rate:>8.0f} {total / count / 1024:>8.1f} {rss:>9.0f} {rate / base_rate:>11.1f}x")


if __name__ == "__main__":
    main()
