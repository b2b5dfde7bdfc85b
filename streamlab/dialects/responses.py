"""OpenAI Responses: a request's input in, `response.*` events out.

The stream opens with the response and its one message item, carries the text as
`response.output_text.delta` events (each with its `item_id`), and ends with the item done and
`response.completed`, whose `output` holds the finished message: the SDKs' final response is
read from it, and an empty one is the commonest bug of other mock servers and proxies. No
`[DONE]`: the completed event ends it. Details: ../shared/research/anchors-api-formats.md §2.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from streamlab.conversation import Turn, check_text
from streamlab.dialects import APIRequest, api_request, turns_of
from streamlab.errors import InputError
from streamlab.frames import cut_connection, to_json
from streamlab.models import Reply
from streamlab.sse import PING

ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
PART_TYPES = ("input_text", "output_text", "text")


def parse_response_request(body: Mapping[str, object]) -> APIRequest:
    """Read input (a string, or a list of messages), instructions, model and stream."""
    given = body.get("input")
    if isinstance(given, str):
        turns = [Turn("user", check_text("input", given))]
    else:
        turns = turns_of(given, ROLES, PART_TYPES, field="input")
    instructions = body.get("instructions")
    if instructions is not None:
        turns.insert(0, Turn("system", check_text("instructions", instructions, allow_empty=True, limit=None)))
    if body.get("previous_response_id") is not None:
        raise InputError("previous_response_id", "StreamLab stores no responses: send the whole conversation as input")
    return api_request(body, turns, field="input")


def usage_of(usage: dict[str, int]) -> dict[str, object]:
    """StreamLab's usage as the Responses API counts it: a chunk is a token."""
    prompt, reply = usage["prompt_chunks"], usage["reply_chunks"]
    return {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": reply,
            "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": prompt + reply}


def text_part(text: str) -> dict[str, object]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def message(item_id: str, status: str, content: list[object]) -> dict[str, object]:
    return {"id": item_id, "type": "message", "status": status, "role": "assistant", "content": content}


def response(id: str, created: int, model: str, status: str, output: list[object],
             usage: dict[str, object] | None) -> dict[str, object]:
    """The response object, as created (in progress, no output yet) or completed."""
    return {"id": id, "object": "response", "created_at": created, "status": status, "error": None,
            "incomplete_details": None, "instructions": None, "max_output_tokens": None, "model": model,
            "output": output, "parallel_tool_calls": True, "previous_response_id": None,
            "reasoning": {"effort": None, "summary": None}, "store": False, "temperature": 1.0,
            "text": {"format": {"type": "text"}}, "tool_choice": "auto", "tools": [], "top_p": 1.0,
            "truncation": "disabled", "usage": usage, "user": None, "metadata": {}}


def item_id_of(response_id: str) -> str:
    """The id of a response's one message item: resp_X holds msg_X."""
    return f"msg_{response_id.removeprefix('resp_')}"


def completed(request: APIRequest, answer: Reply, id: str, created: int) -> dict[str, object]:
    """The whole reply as one completed response (`"stream": false`)."""
    item = message(item_id_of(id), "completed", [text_part(answer.text)])
    return response(id, created, request.model, "completed", [item], usage_of(answer.usage))


@dataclass(frozen=True)
class ResponsesFraming:
    """The Responses API's events: a Framing, so stream() paces, faults and ends them like any other.

    Each event has its `event:` line and, in the JSON, its `type` and `sequence_number`: 0 to 3
    open the stream, chunk N is 3 + N, and the closing events follow the last chunk.
    """

    id: str
    created: int
    model: str
    answer: Reply  # the closing events carry the whole text
    item_id: str = field(init=False)  # derived from id, once per stream rather than per chunk

    def __post_init__(self) -> None:
        object.__setattr__(self, "item_id", item_id_of(self.id))

    def event(self, kind: str, sequence: int, **fields: object) -> bytes:
        data = to_json({"type": kind, "sequence_number": sequence, **fields})  # JSON: one line, always
        return f"event: {kind}\ndata: {data}\n\n".encode()

    def at(self, **fields: object) -> dict[str, object]:
        return {"item_id": self.item_id, "output_index": 0, "content_index": 0, **fields}

    def opening(self) -> bytes:
        started = response(self.id, self.created, self.model, "in_progress", [], None)
        return b"".join([
            self.event("response.created", 0, response=started),
            self.event("response.in_progress", 1, response=started),
            self.event("response.output_item.added", 2, output_index=0,
                       item=message(self.item_id, "in_progress", [])),
            self.event("response.content_part.added", 3, part=text_part(""), **self.at()),
        ])

    def chunk(self, text: str, number: int) -> bytes:
        return self.event("response.output_text.delta", 3 + number, **self.at(delta=text, logprobs=[]))

    def error(self, message: str, number: int) -> bytes:
        # The published event is flat; the nested copy makes openai-python raise APIError too.
        error = {"type": "server_error", "code": "simulated_error", "message": message, "param": None}
        return self.event("error", 3 + number, code=error["code"], message=message, param=None, error=error)

    def closing(self, usage: dict[str, int], failed: bool) -> bytes:
        if failed:
            return b""  # the error event was the last word, as from the real API
        text, sequence = self.answer.text, 3 + self.answer.count
        item = message(self.item_id, "completed", [text_part(text)])
        done = response(self.id, self.created, self.model, "completed", [item], usage_of(usage))
        return b"".join([
            self.event("response.output_text.done", sequence + 1, **self.at(text=text, logprobs=[])),
            self.event("response.content_part.done", sequence + 2, part=text_part(text), **self.at()),
            self.event("response.output_item.done", sequence + 3, output_index=0, item=item),
            self.event("response.completed", sequence + 4, response=done),
        ])

    def ping(self) -> bytes:
        return PING

    def drop(self) -> None:
        cut_connection()  # without response.completed the SDKs raise anyway; a cut says why
