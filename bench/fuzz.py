"""The REST API fuzz test at a larger size than `make test` gives it.

    python -m bench.fuzz [--examples 500] [--sqlite-only]

Runs tests/api/test_fuzz.py (schemathesis over /openapi.json: every operation but logout,
both auth schemes, no 5xx, the error envelope, responses as declared, schema-violating data
refused) with `--examples` examples per operation and database, and prints how many
operations ran, how long it took and any failure pytest reported."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=500, help="examples per operation and database")
    parser.add_argument("--sqlite-only", action="store_true", help="skip the PostgreSQL half")
    args = parser.parse_args()
    command = [sys.executable, "-m", "pytest", "tests/api/test_fuzz.py", "-q", "-p", "no:randomly"]
    if args.sqlite_only:
        command += ["-k", "sqlite"]
    started = time.monotonic()
    done = subprocess.run(
        command, cwd=ROOT, env=os.environ | {"FUZZ_EXAMPLES": str(args.examples)}, capture_output=True, text=True
    )
    elapsed = time.monotonic() - started
    lines = done.stdout.strip().splitlines()
    print("\n".join(line for line in lines if line.startswith(("FAILED", "ERROR"))))
    print(f"examples per operation and database: {args.examples}")
    print(f"result: {lines[-1] if lines else done.stderr.strip()[-500:]}")
    print(f"took {elapsed:.0f} s")
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
