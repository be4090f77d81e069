"""SQS messages of the service: typed bodies, sent in batches of at most 10 (the SQS limit)."""

import json
from collections.abc import Sequence

from pydantic import BaseModel

from backlinks.dal.clients import sqs_client

SQS_BATCH_MAX = 10


def send_messages(queue_url: str, bodies: Sequence[BaseModel]) -> int:
    """Send every body; raise if SQS rejects any of them, so nothing is dropped silently."""
    client = sqs_client()
    sent = 0
    for start in range(0, len(bodies), SQS_BATCH_MAX):
        entries = [
            {"Id": str(index), "MessageBody": body.model_dump_json()}
            for index, body in enumerate(bodies[start : start + SQS_BATCH_MAX])
        ]
        response = client.send_message_batch(QueueUrl=queue_url, Entries=entries)
        failed = response.get("Failed", [])
        if failed:
            reasons = json.dumps([{"id": f["Id"], "code": f.get("Code")} for f in failed])
            raise RuntimeError(f"SQS rejected {len(failed)} of {len(entries)} messages: {reasons}")
        sent += len(entries)
    return sent
