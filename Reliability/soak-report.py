#!/usr/bin/env python3
"""The soak section of Docs/reliability.md, from .build/soak/summary.json (soak.sh pipes it to record.py)."""
import json

f = json.load(open(".build/soak/summary.json"))
statuses = ", ".join(f"{count} × {status}" for status, count in f["statuses"].items())
print(f"Last run: {len(f['failures'])} failures.\n")
print(f"- {f['minutes']} minutes at {f['rate']} req/s (target {f['rate_target']}): {f['requests']} requests — {statuses}; "
      f"{f['server_errors']} 5xx or unanswered.")
print(f"- Resident memory {f['rss_after_warmup_mib']} MiB at the end of the warm-up, at most {f['rss_peak_mib']} MiB afterwards "
      f"({f['rss_growth_percent']} %).")
print(f"- Request-role database connections between {f['db_connections_min']} and {f['db_connections_max']} after the warm-up.")
print(f"- The service exited with {f['exit_code']}; `redress audit verify` exit {f['audit_verify_exit']} ({f['audit_verify']}).")
for failure in f["failures"]:
    print(f"- FAILED: {failure}")
