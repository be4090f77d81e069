"""Fixtures shared by every test layer."""

import os

# Handlers read these at import; tests never reach AWS, and Powertools needs them to start.
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "backlinks")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Backlinks")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
# jsii prints a large end-of-life banner for Node 20 on every synth.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
