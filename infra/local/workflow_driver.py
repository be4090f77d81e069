"""Run an Amazon States Language definition locally, calling Python handlers for Task states.

Supports exactly what the full refresh definition uses: Task (Resource, Parameters, ResultPath,
Retry, Catch, Next/End), Map (ItemsPath, ItemSelector, ItemProcessor, MaxConcurrency, ResultPath,
Catch) and Fail. Paths are the "$", "$.a.b" and "$$.Map.Item.Value" forms. Anything else raises
UnsupportedDefinition, so a definition the driver cannot follow fails loudly instead of running
differently from Step Functions.
"""

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

SUPPORTED_FIELDS = {
    "Task": {"Type", "Resource", "Parameters", "ResultPath", "Retry", "Catch", "Next", "End", "Comment"},
    "Map": {
        "Type",
        "ItemsPath",
        "ItemSelector",
        "ItemProcessor",
        "MaxConcurrency",
        "ResultPath",
        "Catch",
        "Next",
        "End",
        "Comment",
    },
    "Fail": {"Type", "Error", "Cause", "Comment"},
}
SUPPORTED_TOP_LEVEL = {"Comment", "StartAt", "States", "TimeoutSeconds"}


class UnsupportedDefinition(ValueError):
    pass


class StatesError(Exception):
    """A state's failure as Step Functions names it: an error name and a cause."""

    def __init__(self, error: str, cause: str) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


def check_definition(definition: dict) -> None:
    """Raise UnsupportedDefinition for any state type or field this driver does not implement."""
    unknown = set(definition) - SUPPORTED_TOP_LEVEL
    if unknown:
        raise UnsupportedDefinition(f"unsupported top-level fields: {sorted(unknown)}")
    for name, state in definition["States"].items():
        kind = state.get("Type")
        if kind not in SUPPORTED_FIELDS:
            raise UnsupportedDefinition(f"state {name!r} has unsupported type {kind!r}")
        extra = set(state) - SUPPORTED_FIELDS[kind]
        if extra:
            raise UnsupportedDefinition(f"state {name!r} uses unsupported fields {sorted(extra)}")
        if kind == "Map":
            processor = state["ItemProcessor"]
            if processor.get("ProcessorConfig", {}).get("Mode", "INLINE") != "INLINE":
                raise UnsupportedDefinition(f"state {name!r}: only INLINE Map processing is supported")
            check_definition({key: processor[key] for key in ("StartAt", "States")})


def read_path(data, path: str, context: dict):
    if path == "$":
        return data
    if path.startswith("$$."):
        data, path = context, "$." + path[3:]
    if not path.startswith("$."):
        raise UnsupportedDefinition(f"unsupported path {path!r}")
    for part in path[2:].split("."):
        data = data[part]
    return data


def write_result(data: dict, path: str | None, result):
    if path is None:
        return result
    if path == "$":
        return result
    if not path.startswith("$.") or "." in path[2:]:
        raise UnsupportedDefinition(f"unsupported ResultPath {path!r}")
    return {**data, path[2:]: result}


def apply_parameters(template, data, context: dict):
    if isinstance(template, dict):
        out = {}
        for key, value in template.items():
            if key.endswith(".$"):
                out[key[:-2]] = read_path(data, value, context)
            else:
                out[key] = apply_parameters(value, data, context)
        return out
    if isinstance(template, list):
        return [apply_parameters(item, data, context) for item in template]
    return template


def matches(error: str, names: list[str]) -> bool:
    return (
        "States.ALL" in names
        or error in names
        or ("States.TaskFailed" in names and not error.startswith("States."))
    )


class WorkflowDriver:
    """Interpret a definition; `tasks` maps each Task Resource to a Python callable(payload) -> result."""

    def __init__(
        self,
        definition: dict,
        tasks: dict[str, Callable[[dict], object]],
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        check_definition(definition)
        self.definition = definition
        self.tasks = tasks
        self.sleep = sleep
        self.trace: list[str] = []

    def run(self, payload: dict) -> dict:
        """Run to the end; returns the output or raises StatesError from a Fail state or an uncaught error."""
        return self._run_states(self.definition, payload, {})

    def _run_states(self, machine: dict, data, context: dict):
        name = machine["StartAt"]
        while True:
            state = machine["States"][name]
            self.trace.append(name)
            kind = state["Type"]
            if kind == "Fail":
                raise StatesError(state.get("Error", "States.Failed"), state.get("Cause", ""))
            try:
                if kind == "Task":
                    result = self._with_retry(state, lambda s=state, d=data: self._task(s, d, context))
                else:
                    result = self._map(state, data, context)
                data = write_result(data, state.get("ResultPath", "$"), result)
            except StatesError as error:
                catcher = next(
                    (c for c in state.get("Catch", []) if matches(error.error, c["ErrorEquals"])), None
                )
                if catcher is None:
                    raise
                data = write_result(
                    data, catcher.get("ResultPath", "$"), {"Error": error.error, "Cause": error.cause}
                )
                name = catcher["Next"]
                continue
            if state.get("End"):
                return data
            name = state["Next"]

    def _task(self, state: dict, data, context: dict):
        resource = state["Resource"]
        if resource not in self.tasks:
            raise UnsupportedDefinition(f"no local handler for Task resource {resource!r}")
        payload = apply_parameters(state.get("Parameters", {"input.$": "$"}), data, context)
        try:
            return self.tasks[resource](payload)
        except Exception as error:  # noqa: BLE001 - a Lambda task failure, as Step Functions sees it
            cause = json.dumps({"errorMessage": str(error), "errorType": type(error).__name__})
            raise StatesError(type(error).__name__, cause) from error

    def _with_retry(self, state: dict, call: Callable[[], object]):
        attempts: dict[int, int] = {}
        while True:
            try:
                return call()
            except StatesError as error:
                index, retrier = next(
                    (
                        (i, r)
                        for i, r in enumerate(state.get("Retry", []))
                        if matches(error.error, r["ErrorEquals"])
                    ),
                    (None, None),
                )
                if retrier is None:
                    raise
                done = attempts.get(index, 0)
                if done >= retrier.get("MaxAttempts", 3):
                    raise
                attempts[index] = done + 1
                self.sleep(retrier.get("IntervalSeconds", 1) * retrier.get("BackoffRate", 2.0) ** done)

    def _map(self, state: dict, data, context: dict):
        items = read_path(data, state["ItemsPath"], context)
        processor = state["ItemProcessor"]

        def run_item(indexed):
            index, value = indexed
            item_context = {**context, "Map": {"Item": {"Index": index, "Value": value}}}
            selected = (
                apply_parameters(state["ItemSelector"], data, item_context)
                if "ItemSelector" in state
                else value
            )
            return self._run_states(processor, selected, item_context)

        workers = state.get("MaxConcurrency") or len(items) or 1
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(run_item, pair) for pair in enumerate(items)]
            # A failed iteration fails the Map state, as in Step Functions; the others finish first.
            return [future.result() for future in futures]
