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
  let text = '';
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal, // abort() closes the connection; the server notices at its next write
    });
    if (!response.ok) throw new Error((await response.json()).error.message);
    const parser = createParser();
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read(); // after abort(): rejects with an AbortError
      if (done) throw new Error('the stream ended before data: [DONE]: the reply is incomplete');
      for (const event of parser.push(value)) {
        if (event.data === '[DONE]') return { text, stopped: false };
        text += event.data;
        onText(event.data);
      }
    }
  } catch (error) {
    if (error.name === 'AbortError') return { text, stopped: true }; // the user pressed Stop: not a failure
    throw error;
  }
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

