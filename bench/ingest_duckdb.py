"""DuckDB baseline for the ingest benchmark: the same week's core statistics
as bench/ingest_baseline.py (pandas), in SQL: read_csv, salary normalisation
(the $, k and comma forms, periods, currencies by fx.toml), title classification by the roles'
match phrases on word boundaries (first role in file order, unless the role
column names it), the postings open in the week, and per role the count,
p25/median/p75 (quantile_cont)/mean of salary points, the remote share and
the top skills. It does less validation than salarytrends.

usage: python3 ingest_duckdb.py POSTINGS.csv ROLES.toml WEEK_MONDAY [FX.toml]

Prints one JSON object like ingest_baseline.py.
"""
import json
import re
import sys
import tomllib

import duckdb


def main() -> None:
    path, roles_path, monday = sys.argv[1], sys.argv[2], sys.argv[3]
    fx = tomllib.load(open(sys.argv[4], "rb"))["usd_per_unit"] if len(sys.argv) > 4 else {"USD": 1.0}
    rate = "CASE upper(trim(coalesce(salary_currency, ''))) WHEN '' THEN 1.0 " + " ".join(
        f"WHEN '{k.upper()}' THEN {float(v)}" for k, v in fx.items()) + " END"
    roles = tomllib.load(open(roles_path, "rb"))["role"]
    con = duckdb.connect()
    con.execute(f"SET threads = {__import__('os').cpu_count()}")
    # Only the week's open postings are loaded (the filter is applied as
    # the file is scanned): less memory and time than loading every row.
    con.execute(
        "CREATE TEMP TABLE p AS SELECT * FROM read_csv(?, all_varchar = true, header = true) "
        f"WHERE TRY_CAST(substr(posted_at, 1, 10) AS DATE) <= DATE '{monday}' + 6 "
        "AND (closed_at IS NULL OR closed_at = '' "
        f"OR TRY_CAST(substr(closed_at, 1, 10) AS DATE) >= DATE '{monday}')",
        [path],
    )
    # First role (file order) whose phrases match on word boundaries.
    cases = []
    for r in roles:
        phrases = [re.escape(x.lower()) for x in r.get("match", [])]
        if phrases:
            pat = "\\b(" + "|".join(phrases) + ")\\b"
            cases.append(f"WHEN regexp_matches(lower(title), '{pat.replace(chr(39), chr(39) * 2)}') THEN '{r['name']}'")
    by_name = {k.lower(): r["name"] for r in roles for k in (r["name"], r["slug"])}
    named = " ".join(f"WHEN lower(role) = '{k.replace(chr(39), chr(39) * 2)}' THEN '{v}'" for k, v in by_name.items())
    amount = lambda c: (
        f"(CASE WHEN regexp_matches(regexp_replace(coalesce({c}, ''), '[,_$ ]', '', 'g'), '[kK]$') "
        f"THEN TRY_CAST(rtrim(regexp_replace(coalesce({c}, ''), '[,_$ ]', '', 'g'), 'kK') AS DOUBLE) * 1000 "
        f"ELSE TRY_CAST(regexp_replace(coalesce({c}, ''), '[,_$ ]', '', 'g') AS DOUBLE) END)"
    )
    factor = ("CASE lower(coalesce(salary_period, '')) WHEN '' THEN 1 WHEN 'year' THEN 1 WHEN 'month' THEN 12 "
              "WHEN 'week' THEN 52 WHEN 'day' THEN 260 WHEN 'hour' THEN 2080 END")
    q = f"""
    WITH w AS (
      SELECT *,
        coalesce(CASE {named} END, CASE {' '.join(cases)} END) AS r,
        {amount('salary_min')} AS lo0, {amount('salary_max')} AS hi0, ({factor}) * ({rate}) AS f
      FROM p
      WHERE TRY_CAST(substr(posted_at, 1, 10) AS DATE) <= DATE '{monday}' + 6
        AND (closed_at IS NULL OR closed_at = '' OR TRY_CAST(substr(closed_at, 1, 10) AS DATE) >= DATE '{monday}')
    ), s AS (
      SELECT *, coalesce(lo0, hi0) * f AS lo, coalesce(hi0, lo0) * f AS hi FROM w
    ), pts AS (
      SELECT *, CASE WHEN lo BETWEEN 15000 AND 1e6 AND hi BETWEEN 15000 AND 1e6 AND hi <= 4 * lo
                     THEN (lo + hi) / 2 END AS point,
        (lower(coalesce(remote, '')) IN ('remote', 'true')
          OR (coalesce(remote, '') = '' AND lower(coalesce(location, '')) = 'remote')) AS remote_flag
      FROM s
    )
    SELECT r, count(*) AS open, count(point) AS n,
      quantile_cont(point, 0.25), quantile_cont(point, 0.5) AS median, quantile_cont(point, 0.75),
      avg(point), avg(remote_flag::INT)
    FROM pts WHERE r IS NOT NULL GROUP BY r
    """
    rows = con.execute(q).fetchall()
    market = con.execute(f"""SELECT count(*) FROM p
      WHERE TRY_CAST(substr(posted_at, 1, 10) AS DATE) <= DATE '{monday}' + 6
        AND (closed_at IS NULL OR closed_at = '' OR TRY_CAST(substr(closed_at, 1, 10) AS DATE) >= DATE '{monday}')""").fetchone()[0]
    skills = con.execute(f"""
      WITH e AS (SELECT r, unnest(string_split(lower(coalesce(skills, '')), ';')) AS s
                 FROM (SELECT coalesce(CASE {named} END, CASE {' '.join(cases)} END) AS r, skills FROM p
                       WHERE TRY_CAST(substr(posted_at, 1, 10) AS DATE) <= DATE '{monday}' + 6
                         AND (closed_at IS NULL OR closed_at = '' OR TRY_CAST(substr(closed_at, 1, 10) AS DATE) >= DATE '{monday}'))
                 WHERE r IS NOT NULL)
      SELECT count(*) FROM (SELECT r, s, count(*) c, row_number() OVER (PARTITION BY r ORDER BY count(*) DESC) k
                            FROM e WHERE s <> '' GROUP BY r, s) WHERE k <= 8""").fetchone()[0]
    figures = {r: {"open": o, "n": n, "median": med} for r, o, n, _, med, *_ in rows}
    print(json.dumps({"market": market, "roles": figures, "skill_rows": skills}))


if __name__ == "__main__":
    main()
