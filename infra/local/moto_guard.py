"""Serialize moto's DynamoDB writes inside the local runtime's process.

moto 5.2.5 deep-copies a whole table in transact_write_items (to roll back on failure) while other
server threads keep writing to it. With parallel full refresh pages or spam chunks, the copy then
fails with "dictionary changed size during iteration" and moto returns HTTP 500. DynamoDB itself
has no such limit, so the local runtime runs moto's writes one at a time instead.
"""

import functools
import threading

from moto.dynamodb.models import DynamoDBBackend

WRITE_OPERATIONS = ("put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items")
_lock = threading.RLock()


def serialize_dynamodb_writes() -> None:
    """Wrap moto's DynamoDB write operations in one process-wide lock; calling it again does nothing."""
    for name in WRITE_OPERATIONS:
        original = getattr(DynamoDBBackend, name)
        if getattr(original, "_serialized", False):
            continue

        @functools.wraps(original)
        def locked(self, *args, _original=original, **kwargs):
            with _lock:
                return _original(self, *args, **kwargs)

        locked._serialized = True
        setattr(DynamoDBBackend, name, locked)
