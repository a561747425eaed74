"""Fault injection, test side only: `fangkong` in a subprocess that dies right after an import committed a file.

The product has no crash hook; the subprocess runs the real CLI with `importer.import_table` wrapped. Each file of
`fangkong import` is committed before the next one is read (importer.import_folder), so ending the process when
the next file starts (or when the import returns, after its last file) is ending it right after that file's
commit, the way a kill would: `os._exit`, no clean-up, no exit handlers.
"""

from __future__ import annotations

#: the exit status of a process that was "killed" here (what a shell reports for SIGKILL)
CRASHED = 137


def crashing_cli(point: str) -> str:
    """Source for `python -c`: the `fangkong` CLI that ends the process right after the import committed the file
    of table T (`point` = "after_T"), or after the record tables, before the first lake table ("after_records")."""
    return f"""
import os
from fangkong import importer
from fangkong.cli import main
from fangkong.lake.schemas import TABLES as LAKE_TABLES

POINT, done = {point!r}, []
real_table, real_folder = importer.import_table, importer.import_folder

def crash_if_due(starting):
    if (done and POINT == "after_" + done[-1]) or (POINT == "after_records" and starting in LAKE_TABLES):
        os._exit({CRASHED})

def import_table(session, settings, table, path, **kw):
    crash_if_due(table)
    done.append(table)
    return real_table(session, settings, table, path, **kw)

def import_folder(*args, **kw):
    results = real_folder(*args, **kw)
    crash_if_due(None)
    return results

importer.import_table, importer.import_folder = import_table, import_folder
main()
"""
