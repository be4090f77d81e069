"""The full refresh state machine in Amazon States Language, written once.

The CDK stack deploys this definition with the steps function's ARN substituted for
STEPS_FUNCTION_PLACEHOLDER; the local runtime runs the same dict with its driver.
"""

STEPS_FUNCTION_PLACEHOLDER = "${RefreshStepsFunctionArn}"
STEPS_FUNCTION_SUBSTITUTION = "RefreshStepsFunctionArn"
MAP_MAX_CONCURRENCY = 3
TIMEOUT_SECONDS = 3600


def task_retry(max_attempts: int) -> list[dict]:
    return [
        {
            "ErrorEquals": ["States.ALL"],
            "IntervalSeconds": 2,
            "MaxAttempts": max_attempts,
            "BackoffRate": 2.0,
        }
    ]


def catch_to_failure() -> list[dict]:
    return [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "MarkFailed"}]


def full_refresh_definition(steps_function: str = STEPS_FUNCTION_PLACEHOLDER) -> dict:
    """Plan, a Map over the pages with bounded concurrency, finalize; any failure marks the job failed."""
    return {
        "Comment": "Full refresh of a backlink project: plan, pages, finalize",
        "TimeoutSeconds": TIMEOUT_SECONDS,
        "StartAt": "Plan",
        "States": {
            "Plan": {
                "Type": "Task",
                "Resource": steps_function,
                "Parameters": {"step": "plan", "job.$": "$.job"},
                "ResultPath": "$.plan",
                "Retry": task_retry(3),
                "Catch": catch_to_failure(),
                "Next": "Pages",
            },
            "Pages": {
                "Type": "Map",
                "ItemsPath": "$.plan.pages",
                "MaxConcurrency": MAP_MAX_CONCURRENCY,
                "ItemSelector": {"job.$": "$.job", "page.$": "$$.Map.Item.Value"},
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Page",
                    "States": {
                        "Page": {
                            "Type": "Task",
                            "Resource": steps_function,
                            "Parameters": {"step": "page", "job.$": "$.job", "page.$": "$.page"},
                            "Retry": task_retry(3),
                            "End": True,
                        }
                    },
                },
                "ResultPath": "$.pages",
                "Catch": catch_to_failure(),
                "Next": "Finalize",
            },
            "Finalize": {
                "Type": "Task",
                "Resource": steps_function,
                "Parameters": {"step": "finalize", "job.$": "$.job", "pages.$": "$.pages"},
                "ResultPath": "$.result",
                "Retry": task_retry(2),
                "Catch": catch_to_failure(),
                "End": True,
            },
            "MarkFailed": {
                "Type": "Task",
                "Resource": steps_function,
                "Parameters": {"step": "fail", "job.$": "$.job", "error.$": "$.error"},
                "ResultPath": "$.failure",
                "Retry": task_retry(3),
                "Next": "Failed",
            },
            "Failed": {
                "Type": "Fail",
                "Error": "FullRefreshFailed",
                "Cause": "a step failed after its retries",
            },
        },
    }
