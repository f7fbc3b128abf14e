"""Baseline for the ingest benchmark: the same week's core statistics with pandas.

Reads the postings CSV, normalises salaries (the $, k and comma forms, periods,
currencies by fx.toml),
classifies titles by the roles' match phrases on word boundaries (first role in
file order wins, unless the role column names it), keeps the postings open in
the week, and computes per role: count, p25/median/p75/mean of salary points,
remote share, and the top skills. It does less validation than salarytrends.

usage: python3 ingest_baseline.py POSTINGS.csv ROLES.toml WEEK_MONDAY [FX.toml]

Prints one JSON object: the market count and, per role, open postings,
salaries and the median (compared with salarytrends' by bench/ingest.py).
"""
import json
import re
import sys
import tomllib

import numpy as np
import pandas as pd

FACTOR = {"": 1, "year": 1, "month": 12, "week": 52, "day": 260, "hour": 2080}


def amount(col: pd.Series) -> pd.Series:
    s = col.fillna("").astype(str).str.replace(r"[,_$ ]", "", regex=True)
    k = s.str.endswith(("k", "K"))
    v = pd.to_numeric(s.str.rstrip("kK"), errors="coerce")
    return v.where(~k, v * 1000)


def main() -> None:
    path, roles_path, monday = sys.argv[1], sys.argv[2], pd.Timestamp(sys.argv[3])
    fx = tomllib.load(open(sys.argv[4], "rb"))["usd_per_unit"] if len(sys.argv) > 4 else {"USD": 1.0}
    fx = {k.upper(): v for k, v in fx.items()}
    sunday = monday + pd.Timedelta(days=6)
    roles = tomllib.load(open(roles_path, "rb"))["role"]
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    posted = pd.to_datetime(df["posted_at"].str[:10], errors="coerce")
    closed = pd.to_datetime(df["closed_at"].str[:10], errors="coerce")
    df = df[(posted <= sunday) & (closed.isna() | (closed >= monday))].copy()

    title = df["title"].str.lower()
    role = pd.Series(pd.NA, index=df.index, dtype=object)
    for r in roles:
        pat = "|".join(rf"\b{re.escape(p.lower())}\b" for p in r.get("match", []))
        if pat:
            role = role.where(role.notna() | ~title.str.contains(pat, regex=True), r["name"])
    by_name = {k.lower(): r["name"] for r in roles for k in (r["name"], r["slug"])}
    given = df["role"].str.lower().map(by_name)
    df["r"] = given.where(given.notna(), role)

    factor = df["salary_period"].str.lower().map(FACTOR)
    lo, hi = amount(df["salary_min"]), amount(df["salary_max"])
    lo, hi = lo.fillna(hi), hi.fillna(lo)
    rate = df["salary_currency"].str.strip().str.upper().replace("", "USD").map(fx)
    lo, hi = lo * factor * rate, hi * factor * rate
    ok = lo.between(15000, 1e6) & hi.between(15000, 1e6) & (hi <= 4 * lo)
    df["point"] = ((lo + hi) / 2).where(ok)
    df["remote_flag"] = df["remote"].str.lower().isin(["remote", "true"]) | (
        (df["remote"] == "") & (df["location"].str.lower() == "remote"))

    g = df.dropna(subset=["r"]).groupby("r")
    out = g["point"].quantile([0.25, 0.5, 0.75]).unstack()
    out["mean"] = g["point"].mean()
    out["open"] = g.size()
    out["remote"] = g["remote_flag"].mean()
    skills = df.dropna(subset=["r"]).assign(s=df["skills"].str.lower().str.split(";")).explode("s")
    top = skills[skills["s"] != ""].groupby(["r", "s"]).size()
    top = top.groupby(level=0, group_keys=False).nlargest(8)
    n = g["point"].count()
    figures = {str(r): {"open": int(out.loc[r, "open"]), "n": int(n[r]),
                        "median": None if np.isnan(out.loc[r, 0.5]) else float(out.loc[r, 0.5])}
               for r in out.index}
    print(json.dumps({"market": int(len(df)), "roles": figures, "skill_rows": int(len(top))}))


if __name__ == "__main__":
    main()
