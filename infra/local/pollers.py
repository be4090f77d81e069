"""Feed SQS messages to the same consumer handlers Lambda runs, the way an event source mapping does.

A message the handler reports as failed (or every message of a batch whose handler raised) stays in
the queue; SQS delivers it again after its visibility timeout and moves it to the dead-letter queue
after maxReceiveCount deliveries.
"""

import logging
import threading
from collections.abc import Callable

import boto3

from infra.local.gateway import LambdaContext

# The local runtime is not Lambda code: it logs with the standard library, so importing it never
# builds the service's Powertools objects before the runtime has set their environment.
logger = logging.getLogger("backlinks.local")


class QueuePoller:
    def __init__(
        self,
        name: str,
        queue_url: str,
        handler: Callable[[dict, object], dict],
        *,
        endpoint_url: str,
        batch_size: int,
    ) -> None:
        self.name = name
        self.queue_url = queue_url
        self.handler = handler
        self.batch_size = batch_size
        self.client = boto3.client("sqs", endpoint_url=endpoint_url)
        self.queue_arn = self.client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.idle = threading.Event()
        self.invocations = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"poller-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once(wait_seconds=1)
            except Exception:  # noqa: BLE001 - a poller must outlive one bad batch, as Lambda does
                logger.exception("local_poller_error queue=%s", self.name)
                self._stop.wait(1)

    def poll_once(self, wait_seconds: int = 0) -> int:
        """Receive one batch and run the handler on it. Returns the number of messages received."""
        response = self.client.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            self.idle.set()
            return 0
        self.idle.clear()
        event = {"Records": [self.record(message) for message in messages]}
        self.invocations += 1
        try:
            result = self.handler(event, LambdaContext(f"backlinks-{self.name}-worker")) or {}
        except Exception:  # noqa: BLE001 - the whole batch failed; SQS delivers it again
            logger.exception("local_handler_error queue=%s", self.name)
            return len(messages)
        failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] not in failed:
                self.client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    def record(self, message: dict) -> dict:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message.get("MD5OfBody"),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": "us-east-1",
        }
