"""Run the full refresh state machine locally: moto stores it and its executions, the driver runs them.

The runtime registers the same definition the stack deploys on moto's Step Functions, with a
placeholder Lambda ARN. The service starts executions through boto3 as it does in AWS. A poller
reads each new execution and the definition back from moto and runs them with WorkflowDriver,
calling the steps handler in-process, then stops the execution in moto.
"""

import importlib
import json
import logging
import threading

import boto3

from infra.local.gateway import LambdaContext
from infra.local.workflow_driver import StatesError, WorkflowDriver
from infra.workflows.full_refresh import full_refresh_definition

# The local runtime is not Lambda code: it logs with the standard library, so importing it never
# builds the service's Powertools objects before the runtime has set their environment.
logger = logging.getLogger("backlinks.local")

LOCAL_STEPS_ARN = "arn:aws:lambda:us-east-1:123456789012:function:backlinks-refresh-steps"
LOCAL_ROLE_ARN = "arn:aws:iam::123456789012:role/backlinks-refresh"
# Retry intervals run this much faster locally, so a retried page takes milliseconds, not seconds.
LOCAL_SLEEP_SCALE = 0.01


def create_state_machine(endpoint_url: str) -> str:
    client = boto3.client("stepfunctions", endpoint_url=endpoint_url)
    response = client.create_state_machine(
        name="backlinks-full-refresh",
        definition=json.dumps(full_refresh_definition(LOCAL_STEPS_ARN)),
        roleArn=LOCAL_ROLE_ARN,
    )
    return response["stateMachineArn"]


def load_handler(path: str):
    module_name, function_name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module_name), function_name)


class WorkflowPoller:
    def __init__(self, state_machine_arn: str, steps_handler: str, *, endpoint_url: str) -> None:
        self.state_machine_arn = state_machine_arn
        self.handler = load_handler(steps_handler)
        self.client = boto3.client("stepfunctions", endpoint_url=endpoint_url)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen: set[str] = set()
        self.outcomes: dict[str, str] = {}

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="workflow-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            try:
                self.poll_once()
            except Exception:  # noqa: BLE001 - the poller must outlive one failed execution
                logger.exception("local_workflow_error")

    def poll_once(self) -> int:
        executions = self.client.list_executions(
            stateMachineArn=self.state_machine_arn, statusFilter="RUNNING"
        )
        started = [e for e in executions["executions"] if e["executionArn"] not in self._seen]
        for execution in started:
            self._seen.add(execution["executionArn"])
            self.execute(execution["executionArn"])
        return len(started)

    def execute(self, execution_arn: str) -> None:
        described = self.client.describe_execution(executionArn=execution_arn)
        machine = self.client.describe_state_machine(stateMachineArn=described["stateMachineArn"])
        definition = json.loads(machine["definition"])
        context = LambdaContext("backlinks-refresh-steps")
        driver = WorkflowDriver(
            definition,
            {LOCAL_STEPS_ARN: lambda payload: self.handler(payload, context)},
            sleep=lambda seconds: self._stop.wait(seconds * LOCAL_SLEEP_SCALE),
        )
        try:
            driver.run(json.loads(described["input"]))
            self.outcomes[execution_arn] = "SUCCEEDED"
        except StatesError as error:
            self.outcomes[execution_arn] = f"FAILED {error.error}"
        logger.info(
            "local_workflow_finished execution=%s outcome=%s", execution_arn, self.outcomes[execution_arn]
        )
        # moto cannot mark an execution succeeded or failed; stopping it ends it as ABORTED.
        self.client.stop_execution(executionArn=execution_arn, cause=self.outcomes[execution_arn])
