"""A caller in Python, knowing only docs/contract.json: starts a verification by update-with-start, gets its
URL, moves its deadline, approves it on the Caliza double's hosted page, delivers the outcome event as the
webhook receiver would, and reads the state and the result. Every payload is checked against the contract's
JSON schemas. Run by test/contract/python-contract.test.ts; prints one JSON line with what it saw."""

import asyncio
import json
import os
import sys
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

import jsonschema
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)


def check(schema, value, what):
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as err:
        raise SystemExit(f"{what} does not match the contract: {err.message}")
    return value


def approve_on_hosted_page(url):
    body = urllib.parse.urlencode({"decision": "approve"}).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST"), timeout=10) as answer:
        if answer.status >= 300:
            raise SystemExit(f"the hosted page refused the decision: {answer.status}")


async def main():
    contract = json.load(open(os.environ["CONTRACT_PATH"]))
    beneficiary_id = os.environ["BENEFICIARY_ID"]
    client = await Client.connect(os.environ["TEMPORAL_ADDRESS"], namespace="default")

    (session_update,) = [name for name in contract["updates"] if not contract["updates"][name]["args"]]
    (deadline_update,) = [name for name in contract["updates"] if contract["updates"][name]["args"]]
    (signal,) = contract["signals"]
    (query,) = contract["queries"]
    workflow_input = {
        "beneficiaryId": beneficiary_id,
        "mode": "VERIFY",
        "polling": {"initialIntervalMs": 1000, "multiplier": 2, "maxIntervalMs": 2000},
    }
    check(contract["input"], workflow_input, "the input")
    policies = contract["startPolicies"]
    operation = WithStartWorkflowOperation(
        contract["workflowType"],
        workflow_input,
        id=contract["workflowIdPrefix"] + beneficiary_id,
        task_queue=os.environ["TASK_QUEUE"],
        id_conflict_policy=WorkflowIDConflictPolicy[policies["idConflictPolicy"]],
        id_reuse_policy=WorkflowIDReusePolicy[policies["idReusePolicy"]],
        search_attributes=TypedSearchAttributes(
            [SearchAttributePair(SearchAttributeKey.for_keyword(contract["startSearchAttribute"]), beneficiary_id)]
        ),
        memo={name: "VERIFY" for name in contract["memo"]},
    )
    session = await client.execute_update_with_start_workflow(session_update, start_workflow_operation=operation)
    check(contract["updates"][session_update]["answer"], session, "the session update's answer")
    handle = await operation.workflow_handle()

    state = check(contract["queries"][query]["answer"], await handle.query(query), "the state")
    later = datetime.fromisoformat(state["deadlineAt"].replace("Z", "+00:00")) + timedelta(days=1)
    moved_to = later.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    deadline_args = {"deadlineAt": moved_to}
    check(contract["updates"][deadline_update]["args"][0], deadline_args, "the deadline update's argument")
    moved = await handle.execute_update(deadline_update, deadline_args)
    check(contract["updates"][deadline_update]["answer"], moved, "the deadline update's answer")

    approve_on_hosted_page(session["verificationUrl"])
    event = {
        "operation": "BENEFICIARY_APPROVED",
        "beneficiaryId": beneficiary_id,
        "createdAt": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
        "success": True,
        "message": None,
    }
    check(contract["signals"][signal]["args"][0], event, "the event")
    await handle.signal(signal, event)

    result = check(contract["result"], await asyncio.wait_for(handle.result(), 60), "the result")
    final_state = check(contract["queries"][query]["answer"], await handle.query(query), "the final state")
    print(json.dumps({"session": session, "deadline": moved, "result": result, "state": final_state}))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except SystemExit:
        raise
    except Exception as err:  # one line for the Jest side, whatever went wrong
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        sys.exit(1)
