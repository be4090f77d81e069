"""The service's storage: the single DynamoDB table and the exports bucket."""

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.components.nag import acknowledge, arn_reference
from infra.definitions import EXPORTS_EXPIRY_DAYS, TABLE

_ATTRIBUTE_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER}

# Item-level actions the functions need. Scan is left out on purpose, because every request path is a
# Query on a key or an index. TransactWriteItems is authorized through the per-item actions listed here.
TABLE_READ_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
)
TABLE_WRITE_ACTIONS = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
)
# The access logs are kept longer than the exports they describe, so a download can be traced
# after its file has expired.
ACCESS_LOG_EXPIRY_DAYS = 90


class DataStore(Construct):
    """The table built from definitions.TABLE, the exports bucket and its access-log bucket."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.table = self._create_table()
        self.access_logs_bucket = self._create_access_logs_bucket()
        self.exports_bucket = self._create_exports_bucket(self.access_logs_bucket)

    def _create_table(self) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=TABLE.partition_key, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=TABLE.sort_key, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=TABLE.ttl_attribute,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in TABLE.local_indexes:
            table.add_local_secondary_index(
                index_name=index.name,
                sort_key=dynamodb.Attribute(name=index.sort_key, type=_ATTRIBUTE_TYPES[index.sort_key_type]),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        return table

    def _create_access_logs_bucket(self) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            # S3 server access logging only delivers to buckets encrypted with S3-managed keys.
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            # Object ownership is left to CDK: with the serverAccessLogsUseBucketPolicy feature flag
            # (cdk.json) log delivery is granted by bucket policy, without it by an ACL.
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(ACCESS_LOG_EXPIRY_DAYS))],
        )
        acknowledge(
            bucket,
            "AwsSolutions-S1",
            "This bucket is the server access log target; logging its own access would loop.",
        )
        return bucket

    def _create_exports_bucket(self, access_logs_bucket: s3.IBucket) -> s3.Bucket:
        return s3.Bucket(
            self,
            "Exports",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=access_logs_bucket,
            server_access_logs_prefix="exports/",
            lifecycle_rules=[
                # Only exports/ expires. disavow-versions/ contains every generated disavow file, kept
                # so users can compare and restore versions.
                s3.LifecycleRule(
                    prefix="exports/",
                    expiration=Duration.days(EXPORTS_EXPIRY_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )

    def index_arns(self) -> list[str]:
        return [f"{self.table.table_arn}/index/{index.name}" for index in TABLE.local_indexes]

    def grant_table_read_write(self, grantee: iam.IGrantable) -> iam.Grant:
        """Grant item reads and writes on the table and each of its named indexes, without Scan.

        Table.grant_read_write_data would add Scan and the wildcard resource <table>/index/*.
        """
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[*TABLE_READ_ACTIONS, *TABLE_WRITE_ACTIONS],
            resource_arns=[self.table.table_arn, *self.index_arns()],
        )

    def grant_exports_read_write(self, function: lambda_.Function) -> iam.Grant:
        """Grant writing export files and reading them back (a presigned GET is signed with these rights)."""
        grant = iam.Grant.add_to_principal(
            grantee=function,
            actions=["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
            resource_arns=[self.exports_bucket.arn_for_objects("*")],
        )
        acknowledge(
            function.role,
            f"AwsSolutions-IAM5[Resource::{arn_reference(self.exports_bucket, '/*')}]",
            "Export object keys are created per request, so access covers the objects of this one bucket.",
        )
        return grant
