"""Bodies of the SQS messages; each consumer parses its queue's records into one of these."""

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from backlinks.models.records import Scope

SPAM_CHUNK_MAX_DOMAINS = 1000  # bulk_spam_score accepts at most 1000 targets a call


class PullMessage(BaseModel):
    team_id: str
    job_id: str
    target: str
    limit: int = Field(ge=1, le=10_000)
    full_analysis: bool


class EnrichmentPlanMessage(BaseModel):
    kind: Literal["plan"] = "plan"
    team_id: str
    job_id: str
    target: str
    scope: Scope
    generation: str


class SpamChunkMessage(BaseModel):
    kind: Literal["chunk"] = "chunk"
    team_id: str
    job_id: str
    target: str
    scope: Scope
    generation: str
    chunk: int = Field(ge=0)
    domains: list[str] = Field(min_length=1, max_length=SPAM_CHUNK_MAX_DOMAINS)


class SpamQueueMessage(BaseModel):
    body: Annotated[EnrichmentPlanMessage | SpamChunkMessage, Field(discriminator="kind")]
