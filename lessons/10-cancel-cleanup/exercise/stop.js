// Stop a streaming reply from the page: the Stop button aborts the fetch.
//
//   const controller = new AbortController();
//   stopButton.onclick = () => controller.abort();
//   const { text, stopped } = await streamReply('/api/chat', { message: '你好' }, (piece) => output.append(piece), controller.signal);
//
// Try it in the terminal with try.js, against a running StreamLab (`flask run`).

// POST body, call onText with each piece of the reply, and resolve with { text, stopped }:
// stopped is false at data: [DONE], true when signal was aborted. Any other trouble throws.
export async function streamReply(url, body, onText = () => {}, signal = undefined) {
  // TODO task 4: give fetch the signal, so that controller.abort() closes the connection.
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error((await response.json()).error.message);
  const parser = createParser();
  const reader = response.body.getReader();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error('the stream ended before data: [DONE]: the reply is incomplete');
    for (const event of parser.push(value)) {
      if (event.data === '[DONE]') return { text, stopped: false };
      text += event.data;
      onText(event.data);
    }
  }
  // TODO task 4: after abort(), fetch and reader.read() reject with an AbortError. That is a stop,
  // not a failure: resolve with { text, stopped: true } then. Any other error still throws.
}

// Lesson 05's parser, unchanged: push(bytes) returns the events those bytes complete, each { type, data }.
export function createParser() {
  const decoder = new TextDecoder();
  let buffer = '';
  let afterCR = false;
  let data = [];
  let type = '';

  function readLine(line) {
    if (line === '') { // the blank line ends the event; one without data: lines is not dispatched
      const event = data.length ? { type: type || 'message', data: data.join('\n') } : null;
      data = [];
      type = '';
      return event;
    }
    if (line.startsWith(':')) return null; // a comment, such as : ping
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') type = value;
    return null;
  }

  function push(bytes) {
    const text = decoder.decode(bytes, { stream: true });
    buffer += afterCR && text.startsWith('\n') ? text.slice(1) : text;
    if (text) afterCR = text.endsWith('\r');
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop();
    return lines.map(readLine).filter((event) => event !== null);
  }

  return { push };
}

