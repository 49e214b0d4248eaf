#!/usr/bin/env python3
"""Measures the whole `cotaudit audit --format json` process on generated batches, and DuckDB doing
two of the core rules in SQL on the same files, in the same run. Called by Scripts/benchmark.sh,
which builds the release binary and installs DuckDB; see README, "Speed".

Each measured command runs as its own process, one after the other, never two at once: wall time
(time.perf_counter around the process), CPU time (user + system) and peak resident memory from
wait4's rusage (Linux: ru_maxrss in KiB). The load average is read before each run, because on a
shared machine wall time depends on it; CPU time much less.

    benchmark.py run --cotaudit BIN --rules DIR --data DIR --sizes 100000,1000000 [--xml 100000]
    benchmark.py duckdb FILE.csv RULES_DIR      (one DuckDB process: prints the findings it counts)
"""
import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------------------- DuckDB side

# What an analyst would write for tariff-below-schedule on G, VG, MEG, MD and for missing-meg, on the
# contract's CSV: amounts below the tariff of their code on their date, and invoices of a GP with a G
# or VG for a child under 6 (completed years) and no MEG. Rows DuckDB cannot read are skipped, and a
# negative amount is not an under-billing.
DUCKDB_SQL = """
CREATE TEMP TABLE acts AS
SELECT invoice_id, act_date, practitioner_specialty, patient_birth_date, code,
       coalesce(coefficient, 1) AS coefficient, coalesce(quantity, 1) AS quantity,
       CAST(round(amount * 100) AS BIGINT) AS amount_cents
FROM read_csv(?, delim = ';', header = true, decimal_separator = ',', ignore_errors = true,
              columns = {
                'invoice_id': 'VARCHAR', 'act_date': 'DATE', 'act_time': 'VARCHAR', 'place': 'VARCHAR',
                'practitioner_id': 'VARCHAR', 'practitioner_specialty': 'INTEGER', 'patient_id': 'VARCHAR',
                'patient_birth_date': 'DATE', 'patient_sex': 'VARCHAR', 'patient_ald': 'VARCHAR',
                'patient_coverage': 'VARCHAR', 'mt_status': 'VARCHAR', 'mt_practitioner_id': 'VARCHAR',
                'code': 'VARCHAR', 'coefficient': 'DECIMAL(9,3)', 'quantity': 'INTEGER', 'modifiers': 'VARCHAR',
                'association': 'VARCHAR', 'amount': 'DECIMAL(12,2)'});
"""

TARIFF_BELOW_SQL = """
SELECT count(*), coalesce(sum(due - amount_cents), 0) FROM (
  SELECT a.amount_cents, CAST(round(t.cents * a.coefficient * a.quantity) AS BIGINT) AS due
  FROM acts a JOIN tariffs t
    ON a.code = t.code AND a.act_date >= t.valid_from AND a.act_date <= coalesce(t.valid_until, DATE '9999-12-31')
  WHERE a.code IN ('G', 'VG', 'MEG', 'MD') AND a.amount_cents >= 0
) WHERE amount_cents < due
"""

MISSING_MEG_SQL = """
SELECT count(*), count(*) * (SELECT cents FROM tariffs WHERE code = 'MEG' ORDER BY valid_from DESC LIMIT 1)
FROM (
  SELECT any_value(act_date) AS day, any_value(patient_birth_date) AS birth,
         any_value(practitioner_specialty) AS specialty,
         bool_or(code IN ('G', 'VG')) AS consultation, bool_or(code = 'MEG') AS meg
  FROM acts GROUP BY invoice_id
) WHERE consultation AND NOT meg AND specialty = 1
  AND (year(day) - year(birth) - CASE WHEN month(day) * 100 + day(day) < month(birth) * 100 + day(birth)
                                      THEN 1 ELSE 0 END) < 6
"""


def tariff_rows(rules_dir):
    """(code, from, until, cents) of G, VG, MEG, MD from the rule set's own tariff file."""
    import yaml
    with open(os.path.join(rules_dir, "tariffs", "ngap.yaml"), encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    rows = []
    for entry in data["codes"]:
        if entry["code"] in ("G", "VG", "MEG", "MD"):
            for period in entry["periods"]:
                rows.append((entry["code"], period["from"], period.get("until"), period["cents"]))
    return rows


def duckdb_audit(csv_path, rules_dir):
    import duckdb
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE tariffs (code VARCHAR, valid_from DATE, valid_until DATE, cents BIGINT)")
    con.executemany("INSERT INTO tariffs VALUES (?, ?, ?, ?)", tariff_rows(rules_dir))
    con.execute(DUCKDB_SQL, [csv_path])
    below = con.execute(TARIFF_BELOW_SQL).fetchone()
    meg = con.execute(MISSING_MEG_SQL).fetchone()
    print(json.dumps({"tariff-below-schedule": {"findings": below[0], "lost_cents": int(below[1])},
                      "missing-meg": {"findings": meg[0], "lost_cents": int(meg[1] or 0)}}))


# ---------------------------------------------------------------------------- measuring


# The patients of the 1M-line batch (one for every 10 lines), for the runs at the same patients.
FLAT_PATIENTS = 100_000


def measure(argv, stdout_path=None, env=None):
    """Runs argv once; returns wall seconds, CPU seconds, peak RSS in MiB, the load average before."""
    load = os.getloadavg()[0]
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    stderr = process.stderr.read().decode("utf-8", "replace")
    process.stderr.close()
    if stdout_path:
        out.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"échec ({os.waitstatus_to_exitcode(status)}) : {' '.join(argv)}\n{stderr}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mib": usage.ru_maxrss / 1024, "load": load}


def median_run(runs):
    """The run of median wall time, with the fastest and slowest walls of all (`wall_range`)."""
    ordered = sorted(runs, key=lambda run: run["wall"])
    median = dict(ordered[len(ordered) // 2])
    median["wall_range"] = (ordered[0]["wall"], ordered[-1]["wall"])
    return median


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    with open("/proc/meminfo") as handle:
        memory_kib = int(handle.readline().split()[1])
    return f"{os.cpu_count()} cores ({model}), {memory_kib / 1048576:.0f} GiB, {platform.system()} {platform.release()}"


def run(args):
    env = dict(os.environ)
    env.setdefault("COTAUDIT_PSEUDONYM_KEY", "cotaudit-benchmark-key-not-secret")
    sizes = [int(size) for size in args.sizes.split(",") if size]
    xml_sizes = {int(size) for size in args.xml.split(",") if size}
    # Batches run again with the patients of the 1M-line batch: memory may grow with the patients,
    # never with the rows, so at the same patients it must stay flat.
    same_patients = [int(size) for size in args.same_patients.split(",") if size]
    runs = [(size, fmt, size // 10) for size in sizes for fmt in ["csv"] + (["xml"] if size in xml_sizes else [])]
    runs += [(size, "csv", FLAT_PATIENTS) for size in same_patients]
    rows = []
    started = dt.datetime.now(dt.timezone.utc)
    print(f"# {started:%Y-%m-%d %H:%M} UTC — {machine()}", flush=True)
    for size, fmt, patients in runs:
        name = f"{size}.{fmt}" if patients == size // 10 else f"{size}-p{patients}.{fmt}"
        path = os.path.join(args.data, f"lot-{name}")
        if not os.path.exists(path):
            subprocess.run([args.cotaudit, "generate", "--lines", str(size), "--seed", "11", "--format", fmt,
                            "--patients", str(patients), "--rules", args.rules, "-o", path], check=True, env=env)
        megabytes = os.path.getsize(path) / 1e6
        report = os.path.join(args.data, f"audit-{name}.json")
        audit_argv = [args.cotaudit, "audit", path, "--rules", args.rules, "--format", "json", "--as-of", "2026-01-15", "-o", report]
        duck_out = os.path.join(args.data, f"duckdb-{name}.json")
        duck_argv = [sys.executable, os.path.abspath(__file__), "duckdb", path, args.rules]
        # Each tool `repeat` times, in turn with the other, the run of median wall time kept: the
        # machine's speed moves by a fifth within minutes, and one run of each caught either tool
        # on a slow minute.
        audit_runs, duck_runs = [], []
        for _ in range(args.repeat):
            audit_runs.append(measure(audit_argv, env=env))
            if fmt == "csv":
                duck_runs.append(measure(duck_argv, stdout_path=duck_out, env=env))
        result = median_run(audit_runs)
        # The report is read in a child process: a process forked from this one starts its peak
        # memory (ru_maxrss) at this one's, and a 5M-line report loaded here took 400 MB.
        summary = json.loads(subprocess.run([sys.executable, os.path.abspath(__file__), "summary", report],
                                            check=True, capture_output=True, env=env).stdout)
        row = {"lines": size, "format": fmt, "patients": patients, "mb": megabytes, "acts": summary["acts"],
               "findings": summary["findings"], "cotaudit": result, "cotaudit_counts": summary["counts"]}
        if fmt == "csv":
            row["duckdb"] = median_run(duck_runs)
            with open(duck_out, encoding="utf-8") as handle:
                row["duckdb_counts"] = {rule: value["findings"] for rule, value in json.load(handle).items()}
        rows.append(row)
        print(line(row), flush=True)
    finished = dt.datetime.now(dt.timezone.utc)
    table = render(rows, started, finished, args.repeat)
    print()
    print(table)
    if args.table:
        with open(args.table, "w", encoding="utf-8") as handle:
            handle.write(table)


def summary(report):
    """Prints what the table needs from a cotaudit JSON report."""
    with open(report, encoding="utf-8") as handle:
        audit = json.load(handle)
    by_rule = {entry["rule"]: entry for entry in audit["by_rule"]}
    tariff_rule = sum(1 for finding in audit["findings"]
                      if finding["rule"] == "tariff-below-schedule" and finding["code"] in ("G", "VG", "MEG", "MD"))
    print(json.dumps({"acts": audit["summary"]["acts"], "findings": audit["summary"]["findings"],
                      "counts": {"tariff-below-schedule": tariff_rule,
                                 "missing-meg": by_rule.get("missing-meg", {}).get("findings", 0)}}))


def line(row):
    c = row["cotaudit"]
    text = (f"{row['lines']:>9} {row['format']} ({row['patients']} patients): cotaudit {c['wall']:.2f} s (CPU {c['cpu']:.2f} s, "
            f"{c['rss_mib']:.0f} MiB, charge {c['load']:.1f})")
    if "duckdb" in row:
        d = row["duckdb"]
        text += (f" — DuckDB {d['wall']:.2f} s (CPU {d['cpu']:.2f} s, {d['rss_mib']:.0f} MiB, charge {d['load']:.1f})"
                 f" — constats cotaudit {row['cotaudit_counts']} / DuckDB {row['duckdb_counts']}")
    return text


def wall(run):
    """The median wall time, with the range of the runs when there were several."""
    low, high = run.get("wall_range", (run["wall"], run["wall"]))
    return f"{run['wall']:.2f} s" if high - low < 0.005 else f"{run['wall']:.2f} s ({low:.2f}–{high:.2f})"


def render(rows, started, finished, repeat):
    out = [f"Measured {started:%Y-%m-%d %H:%M}–{finished:%H:%M} UTC on {machine()}; each tool run {repeat} times per row, "
           f"in turn with the other, the run of median wall time shown (CPU, memory and load are that run's; the "
           f"range of the walls in brackets); load average (1 min) before that run in the last column. MB/s and acts/s "
           f"are per wall second; on a loaded machine wall time grows with the load, CPU time (user + system) much less.", "",
           "| lines | format | patients | MB | cotaudit wall | CPU | MB/s | acts/s | peak RSS | DuckDB wall (2 rules) | DuckDB CPU | "
           "DuckDB RSS | ratio wall | ratio CPU | findings cotaudit / DuckDB (tariff G·VG·MEG·MD, missing-meg) | load |",
           "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for row in rows:
        c = row["cotaudit"]
        cells = [f"{row['lines']:,}".replace(",", " "), row["format"], f"{row['patients']:,}".replace(",", " "), f"{row['mb']:.1f}", wall(c),
                 f"{c['cpu']:.2f} s", f"{row['mb'] / c['wall']:.2f}", f"{row['acts'] / c['wall']:,.0f}".replace(",", " "),
                 f"{c['rss_mib']:.0f} MiB"]
        if "duckdb" in row:
            d = row["duckdb"]
            counts = (f"{row['cotaudit_counts']['tariff-below-schedule']}·{row['cotaudit_counts']['missing-meg']} / "
                      f"{row['duckdb_counts']['tariff-below-schedule']}·{row['duckdb_counts']['missing-meg']}")
            cells += [wall(d), f"{d['cpu']:.2f} s", f"{d['rss_mib']:.0f} MiB", f"{c['wall'] / d['wall']:.1f}",
                      f"{c['cpu'] / d['cpu']:.1f}", counts, f"{c['load']:.1f} / {d['load']:.1f}"]
        else:
            cells += ["—", "—", "—", "—", "—", "—", f"{c['load']:.1f}"]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run")
    run_parser.add_argument("--cotaudit", required=True)
    run_parser.add_argument("--rules", required=True)
    run_parser.add_argument("--data", required=True)
    run_parser.add_argument("--sizes", default="100000,1000000,5000000")
    run_parser.add_argument("--xml", default="100000")
    run_parser.add_argument("--same-patients", default="5000000")
    run_parser.add_argument("--table")
    run_parser.add_argument("--repeat", type=lambda text: max(1, int(text)), default=3,
                            help="runs of each tool per row, in turn (at least 1); the median is kept")
    duck = sub.add_parser("duckdb")
    duck.add_argument("csv")
    duck.add_argument("rules")
    summary_parser = sub.add_parser("summary")
    summary_parser.add_argument("report")
    args = parser.parse_args()
    if args.command == "run":
        os.makedirs(args.data, exist_ok=True)
        run(args)
    elif args.command == "summary":
        summary(args.report)
    else:
        duckdb_audit(args.csv, args.rules)


if __name__ == "__main__":
    main()
