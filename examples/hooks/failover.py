#!/usr/bin/env python3
"""The seed's failover Lambda, ported to a `tandem control` hook.

tandem control runs this program for the events it subscribes to
([[hook]] on = [...]) with the event as JSON on stdin. Like the Lambda, it
acts only when the primary's alarm is ALARM, and fails over only after
confirming that the secondary's alarm is OK; it prints its decision and
exits 0 (done, or nothing to do) or 1 (failover refused), which the
controller records in its audit log. Standard library only.

Try it:
  echo '{"type": "failover", "primary": "us-east-1", "secondary": "eu-west-1",
         "primary_alarm": {"name": "us-east-1-unhealthy", "state": "ALARM"},
         "secondary_alarm": {"name": "eu-west-1-unhealthy", "state": "OK"}}' |
      python3 examples/hooks/failover.py
"""

import json
import sys


def alarm_state(event, key):
    alarm = event.get(key) or {}
    return alarm.get("name", key), alarm.get("state", "UNKNOWN")


def handle(event):
    """Returns (exit status, decision)."""
    kind = event.get("type", "?")
    primary = event.get("primary", "?")
    secondary = event.get("secondary", "?")
    primary_alarm, primary_status = alarm_state(event, "primary_alarm")
    secondary_alarm, secondary_status = alarm_state(event, "secondary_alarm")

    if kind == "failback":
        # The controller has handed the primary back to its health check
        # after the failback gate (healthy, caught up, held down).
        return 0, f"Primary {primary} is serving again (alarm {primary_alarm} is {primary_status})."

    if primary_status != "ALARM":
        return 0, (f"Primary health check {primary_alarm} is {primary_status}. "
                   "No failover needed.")
    print(f"Primary health check {primary_alarm} is UNHEALTHY. Initiating failover consideration.")
    if secondary_status != "OK":
        return 1, (f"Secondary health check {secondary_alarm} is NOT HEALTHY "
                   f"({secondary_status}). Cannot failover: failover aborted.")
    print(f"Secondary health check {secondary_alarm} is HEALTHY. Proceeding with failover.")
    # The DNS change itself is made by tandem control (the primary's answer
    # set is routed out); put the other steps of the runbook here: page the
    # on-call, scale up {secondary}, pause batch jobs in {primary}, ...
    routing = event.get("routing") or {}
    if routing:
        print(f"Routing: {routing.get('set')} {routing.get('control')}: {routing.get('result')}")
    return 0, f"Failover from {primary} to {secondary} initiated or confirmed."


def main():
    try:
        event = json.load(sys.stdin)
    except ValueError as err:
        print(f"cannot read the event: {err}", file=sys.stderr)
        return 2
    print(f"Received event: {event.get('id', '?')} ({event.get('type', '?')})")
    status, decision = handle(event)
    print(decision)
    return status


if __name__ == "__main__":
    sys.exit(main())
