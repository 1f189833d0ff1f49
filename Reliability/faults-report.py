#!/usr/bin/env python3
"""The faults section of Docs/reliability.md, from .build/faults/summary.json (faults.sh pipes it to record.py)."""
import json

f = json.load(open(".build/faults/summary.json"))
print(f"Last run: {len(f['failures'])} failures.\n")
print(f"- **SIGKILL under load**: {f['kills']} kills at random moments while 8 clients filed 500 complaints "
      f"({f['filing_attempts']} attempts with retries); {f['filings_acknowledged']} acknowledged, {f['stored']} stored, "
      f"{f['duplicates']} duplicates, {f['without_audit']} without their audit event; the slowest restart to `/ready` took "
      f"{f['restart_seconds_max']} s.")
print(f"- **PostgreSQL stopped for 3 s**: {f['outage_requests']} requests answered during the outage ({f['outage_load_requests']} of them "
      f"from the load, some already waiting for a connection when it began), all {', '.join(f['outage_statuses'])} "
      f"(the slowest in {f['outage_slowest_answer']} s); `/ready` answered {f['ready_during_outage']}; the first success came "
      f"{f['recovery_seconds']} s after PostgreSQL accepted connections again, from the same process.")
print(f"- **SIGTERM with {f['slow_requests']} slow uploads in flight**: {f['slow_completed']} completed with 201; the process "
      f"exited with {f['exit_code']} after {f['exit_seconds']} s.")
print(f"- **audit verify** afterwards: exit {f['audit_verify_exit']} ({f['audit_verify']}).")
for failure in f["failures"]:
    print(f"- FAILED: {failure}")
