#!/usr/bin/env python3
"""Replaces the part of a Markdown file between <!-- NAME --> and <!-- /NAME --> with standard input
(appended when the file has no such part): `make bench` and `make bench-peer` each write their own
part of Docs/benchmarks.md."""
import pathlib
import sys

path, name = pathlib.Path(sys.argv[1]), sys.argv[2]
start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
body = f"{start}\n{sys.stdin.read().rstrip()}\n{end}\n"
text = path.read_text() if path.exists() else ""
if start in text and end in text:
    before, rest = text.split(start, 1)
    text = before + body + rest.split(end, 1)[1].lstrip("\n")
else:
    text = (text.rstrip() + "\n\n" if text.strip() else "") + body
path.write_text(text)
