"""Create the table, queues and bucket on moto from the same definitions the CDK stack uses."""

import json

import boto3

from infra.definitions import QUEUES, TABLE, QueueDefinition

TABLE_NAME = "backlinks"
EXPORTS_BUCKET = "backlinks-exports"


def create_table(endpoint_url: str, table_name: str = TABLE_NAME) -> None:
    client = boto3.client("dynamodb", endpoint_url=endpoint_url)
    attributes = {TABLE.partition_key: "S", TABLE.sort_key: "S"}
    attributes.update({index.sort_key: index.sort_key_type for index in TABLE.local_indexes})
    client.create_table(
        TableName=table_name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": kind} for name, kind in attributes.items()
        ],
        KeySchema=[
            {"AttributeName": TABLE.partition_key, "KeyType": "HASH"},
            {"AttributeName": TABLE.sort_key, "KeyType": "RANGE"},
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": TABLE.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in TABLE.local_indexes
        ],
    )
    client.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TABLE.ttl_attribute},
    )


def create_queue(endpoint_url: str, queue: QueueDefinition, *, visibility_timeout: int | None = None) -> str:
    """Create a queue and its dead-letter queue; returns the queue URL.

    `visibility_timeout` overrides the definition's, so local retries happen within seconds.
    """
    client = boto3.client("sqs", endpoint_url=endpoint_url)
    dlq_url = client.create_queue(QueueName=f"{queue.name}-dlq")["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    timeout = visibility_timeout if visibility_timeout is not None else queue.visibility_timeout_seconds
    return client.create_queue(
        QueueName=queue.name,
        Attributes={
            "VisibilityTimeout": str(timeout),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue.max_receive_count}
            ),
        },
    )["QueueUrl"]


def create_bucket(endpoint_url: str, bucket: str = EXPORTS_BUCKET) -> None:
    client = boto3.client("s3", endpoint_url=endpoint_url)
    client.create_bucket(Bucket=bucket)
    client.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )


def create_all(endpoint_url: str, *, visibility_timeout: int | None = None) -> dict[str, str]:
    """Create every resource; returns the environment variables the handlers read."""
    create_table(endpoint_url)
    create_bucket(endpoint_url)
    env = {"TABLE_NAME": TABLE_NAME, "EXPORTS_BUCKET": EXPORTS_BUCKET}
    for queue in QUEUES:
        env[queue.env_var] = create_queue(endpoint_url, queue, visibility_timeout=visibility_timeout)
    return env
