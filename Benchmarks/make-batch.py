#!/usr/bin/env python3
"""Writes the benchmark's synthetic month (the same rows as SyntheticBatch in
Sources/CotauditBenchmarks/main.swift) as a contract CSV, for measuring peak memory of the release
build without building the benchmark package:

    Benchmarks/make-batch.py --invoices 1000000 out.csv           # clean, about 1.4 lines per invoice
    Benchmarks/make-batch.py --bad-rows 1000000 out.csv           # every row rejected, each kind in turn
    /usr/bin/time -v .build/release/cotaudit audit out.csv --format json -o /dev/null
"""
import argparse

HEADER = "invoice_id;act_date;act_time;place;practitioner_id;practitioner_specialty;patient_id;patient_birth_date;patient_ald;mt_status;code;coefficient;amount\n"


def luhn_digit(body):
    total = 0
    for index, char in enumerate(reversed(body)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def rpps(n):
    body = "%010d" % (1_000_000_000 + n)
    return body + luhn_digit(body)


def clean_rows(invoices):
    practitioners = [rpps(i) for i in range(8)]
    for index in range(invoices):
        day = "2025-03-%02d" % (1 + index % 28)
        practitioner = practitioners[index % 8]
        patient = "P%06d" % (index % 20_000)
        birth = "2022-05-01" if index % 10 == 0 else "1975-05-01"
        status = "none" if index % 7 == 0 else "centre"
        kind = index % 4
        if kind in (0, 1):
            acts = [("G", "1", "26.50" if index % 97 == 0 else "30.00")]
        elif kind == 2:
            acts = [("VG", "1", "30.00"), ("MD", "1", "10.00")]
        else:
            acts = [("G", "1", "30.00"), ("DEQP003", "1", "14.52")]
        if birth == "2022-05-01" and index % 3 != 0:
            acts.append(("MEG", "1", "5.00"))
        place = "domicile" if index % 4 == 2 else "cabinet"
        for code, coefficient, amount in acts:
            yield f"F{index};{day};10:00;{place};{practitioner};01;{patient};{birth};0;{status};{code};{coefficient};{amount.replace('.', ',')}\n"


def bad_rows(count):
    """Each row broken in one way in turn: a date that does not exist, an amount out of bounds, a
    stray quote, a bad RPPS key, a wrong field count, a malformed code."""
    good_rpps = rpps(1)
    bad_rpps = good_rpps[:-1] + str((int(good_rpps[-1]) + 1) % 10)
    for index in range(count):
        patient = "P%06d" % (index % 20_000)
        kind = index % 6
        if kind == 0:
            yield f"F{index};2025-02-30;10:00;cabinet;{good_rpps};01;{patient};1975-05-01;0;centre;G;1;30,00\n"
        elif kind == 1:
            yield f"F{index};2025-03-03;10:00;cabinet;{good_rpps};01;{patient};1975-05-01;0;centre;G;1;123456789012345\n"
        elif kind == 2:
            yield f"\"F{index};2025-03-03;10:00;cabinet;{good_rpps};01;{patient};1975-05-01;0;centre;G;1;30,00\n"
        elif kind == 3:
            yield f"F{index};2025-03-03;10:00;cabinet;{bad_rpps};01;{patient};1975-05-01;0;centre;G;1;30,00\n"
        elif kind == 4:
            yield f"F{index};2025-03-03;10:00;cabinet;{good_rpps};01;{patient};1975-05-01;0;centre;G;1;30,00;x;y\n"
        else:
            yield f"F{index};2025-03-03;10:00;cabinet;{good_rpps};01;{patient};1975-05-01;0;centre;G-G;1;30,00\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=0)
    parser.add_argument("--bad-rows", type=int, default=0)
    parser.add_argument("output")
    args = parser.parse_args()
    with open(args.output, "w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        buffer = []
        for row in (bad_rows(args.bad_rows) if args.bad_rows else clean_rows(args.invoices)):
            buffer.append(row)
            if len(buffer) >= 10_000:
                out.write("".join(buffer))
                buffer = []
        out.write("".join(buffer))


if __name__ == "__main__":
    main()
