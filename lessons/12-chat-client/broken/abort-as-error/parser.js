// A parser for text/event-stream, the one you wrote in lesson 05: given, so this lesson's work is
// the chat itself. push(bytes) takes the bytes of one read, any number of them, and returns the
// events they complete, each { type, data }.
//
// Spec: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

const LINE_BREAK = /\r\n|\r|\n/; // the three line endings SSE knows, and no others

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
    // stream: true keeps the first bytes of a character cut across reads until the rest arrives.
    const text = decoder.decode(bytes, { stream: true });
    buffer += afterCR && text.startsWith('\n') ? text.slice(1) : text; // its CR already ended the line
    if (text) afterCR = text.endsWith('\r');
    const lines = buffer.split(LINE_BREAK);
    buffer = lines.pop(); // the unfinished line waits for the next read
    return lines.map(readLine).filter((event) => event !== null);
  }

  return { push };
}
