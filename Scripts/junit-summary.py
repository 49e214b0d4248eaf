#!/usr/bin/env python3
"""Reads a JUnit XML file with junitparser (PyPI), as CI servers' readers do, and prints what it
read as JSON: suites, their counts, and each test case with its failure or error.

Exit status: 0 read and consistent; 1 the file cannot be read, or a count it declares (tests,
failures, errors of a suite or of the whole file) disagrees with its test cases; 3 junitparser is
not installed (`python3 -m pip install junitparser`).

Usage: Scripts/junit-summary.py FILE
"""
import json
import sys

try:
    from junitparser import JUnitXml, TestSuite
except ImportError:
    print("junitparser absent : python3 -m pip install junitparser", file=sys.stderr)
    sys.exit(3)


def result_kind(result):
    return type(result).__name__.lower()  # Failure, Error, Skipped


def main(path):
    try:
        document = JUnitXml.fromfile(path)
    except Exception as error:  # junitparser raises lxml's or ElementTree's own errors
        print(f"{path}: illisible par junitparser : {error}", file=sys.stderr)
        return 1
    suites = [document] if isinstance(document, TestSuite) else list(document)
    problems = []
    summary = {"suites": []}
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for suite in suites:
        cases = []
        for case in suite:
            results = [{"kind": result_kind(r), "type": r.type, "message": r.message, "text": r.text}
                       for r in case.result]
            cases.append({"name": case.name, "classname": case.classname, "results": results,
                          "system_out": case.system_out})
        counted = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if any(r["kind"] == "failure" for r in c["results"])),
            "errors": sum(1 for c in cases if any(r["kind"] == "error" for r in c["results"])),
        }
        for key, value in counted.items():
            declared = getattr(suite, key)
            if declared != value:
                problems.append(f"suite {suite.name!r}: {key}={declared} déclaré, {value} compté")
            totals[key] += value
        summary["suites"].append({"name": suite.name, "tests": suite.tests, "failures": suite.failures,
                                  "errors": suite.errors, "cases": cases})
    if not isinstance(document, TestSuite):
        for key, value in totals.items():
            declared = getattr(document, key)
            if declared != value:
                problems.append(f"testsuites: {key}={declared} déclaré, {value} compté")
    summary.update(totals)
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    sys.exit(main(sys.argv[1]))
