// A buffered SSE parser for fetch streams, lesson 05's with two more fields kept: id: and retry:.
// Given, working: lesson 08's task is resume.js. (Yours from lesson 05 works too, with these two added.)
//
//   const parser = createParser(lastEventId);
//   for (const event of parser.push(bytes)) ...   // each event: { type, data, id }
//   parser.lastEventId                            // the last id: seen, what a reconnect sends back
//   parser.retry                                  // the last retry: in ms, or null if none came
//
// Spec: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

const LINE_BREAK = /\r\n|\r|\n/; // the three line endings SSE knows, and no others

export function createParser(lastEventId = '') {
  const decoder = new TextDecoder(); // UTF-8
  let buffer = ''; // the start of a line whose end has not arrived yet
  let afterCR = false; // the text so far ends with CR: a LF next is the second half of a CRLF
  let data = []; // the data: lines of the event being read
  let type = ''; // its event: name
  let id = lastEventId; // the spec's "last event ID buffer": set by id:, committed at the blank line

  const parser = { lastEventId, retry: null, push };

  function dispatch() {
    parser.lastEventId = id; // at every blank line, even for an event without data
    const event = data.length ? { type: type || 'message', data: data.join('\n'), id } : null; // no data:, no event
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
    else if (field === 'id' && !value.includes('\0')) id = value;
    else if (field === 'retry' && /^[0-9]+$/.test(value)) parser.retry = Number(value);
    return null; // other fields are ignored
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

  return parser;
}
