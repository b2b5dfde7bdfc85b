// POST + fetch + ReadableStream: read a chat reply as it streams, with a buffered SSE parser.
//
//   const reply = await streamChat('/api/chat', { message: '你好', history: [] }, (text) => output.append(text));
//
// Spec: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

const LINE_BREAK = /\r\n|\r|\n/; // the three line endings SSE knows, and no others

// A parser for text/event-stream: push(bytes) takes the bytes of one read, any number of them,
// and returns the events they complete, each { type, data }.
export function createParser() {
  const decoder = new TextDecoder(); // UTF-8
  let buffer = ''; // the start of a line whose end has not arrived yet
  let afterCR = false; // the text so far ends with CR: a LF next is the second half of a CRLF
  let data = []; // the data: lines of the event being read
  let type = ''; // its event: name

  function dispatch() {
    const event = data.length ? { type: type || 'message', data: data.join('\n') } : null; // no data:, no event
    data = [];
    type = '';
    return event;
  }

  function readLine(line) {
    if (line === '') return dispatch(); // the blank line ends the event
    if (line.startsWith(':')) return null; // a comment
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1); // one space, no more: the text's own spaces stay
    if (field === 'data') data.push(value);
    else if (field === 'event') type = value;
    return null; // id: and retry: matter when reconnecting (lesson 08); other fields are ignored
  }

  function push(bytes) {
    const events = [];
    for (const block of decoder.decode(bytes, { stream: true }).split('\n\n')) { // THE MISTAKE: one read = whole events
      data = block.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6));
      const event = dispatch();
      if (event) events.push(event);
    }
    return events;
  }

  return { push };
}

// POST a chat request: body is { message, history, ...options }. Calls onText with each piece
// of the reply as it arrives, and resolves with the whole reply at data: [DONE].
export async function streamChat(url, body, onText = () => {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) { // refused before the stream began: a JSON error, not events
    const { error } = await response.json();
    throw new Error(error.message);
  }

  const parser = createParser();
  const reader = response.body.getReader();
  let reply = '';
  for (;;) {
    const { done, value } = await reader.read(); // value: a Uint8Array, as many bytes as have arrived
    if (done) throw new Error('the stream ended before data: [DONE]: the reply is incomplete');
    for (const event of parser.push(value)) {
      if (event.data === '[DONE]') return reply;
      reply += event.data;
      onText(event.data);
    }
  }
}
