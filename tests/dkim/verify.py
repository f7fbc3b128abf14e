#!/usr/bin/env python3
"""Verifies DKIM signatures with dkimpy, an implementation independent of
salarytrends, given the DNS TXT record instead of a DNS lookup.

  verify.py --record 'v=DKIM1; k=rsa; p=…' FILE.eml…

Prints one line per file: "pass <h= list>" or "fail <reason>"; exits 1 if
any file fails.
"""

import argparse
import sys

import dkim


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--record", required=True, help="the TXT record's value")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    record = args.record.encode()
    failed = False
    for name in args.files:
        with open(name, "rb") as f:
            msg = f.read()
        d = dkim.DKIM(msg)
        try:
            ok = d.verify(dnsfunc=lambda _name, timeout=5: record)
        except dkim.DKIMException as e:
            ok, why = False, str(e)
        else:
            why = "signature did not verify"
        if ok:
            h = dict(d.signature_fields).get(b"h", b"").decode()
            print("pass", h.replace(" ", ""))
        else:
            failed = True
            print("fail", why)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
