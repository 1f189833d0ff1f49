#!/usr/bin/env python3
"""Writes one suite's section of Docs/reliability.md: `record.py NAME < markdown`.

Each suite (fuzz, faults, uploads, soak) owns the text between `<!-- NAME:start -->` and
`<!-- NAME:end -->`; the rest of the document (what each suite does) is written by hand.
"""
import re
import sys

name = sys.argv[1]
path = "Docs/reliability.md"
body = sys.stdin.read().rstrip("\n")
document = open(path).read()
start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
if start not in document:
    sys.exit(f"{path} has no {start} marker")
pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
document = pattern.sub(lambda _: f"{start}\n{body}\n{end}", document)
open(path, "w").write(document)
