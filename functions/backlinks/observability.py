"""The one Logger, Tracer and Metrics of the service, shared by every entry point."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
