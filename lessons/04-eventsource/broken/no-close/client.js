// GET + EventSource: the browser opens the stream, parses the frames and reconnects by itself.
// streamReply(url, onText) calls onText(chunk) for each chunk of text, and returns a Promise of
// the whole reply: resolved at the end signal, rejected on an error.
//
//   const text = await streamReply(`/stream?prompt=${encodeURIComponent(prompt)}`, (chunk) => reply.append(chunk));

export function streamReply(url, onText) {
  return new Promise((resolve, reject) => {
    const source = new EventSource(url); // a GET request: no body, no headers of your own
    let text = '';

    const finish = () => {
      resolve(text); // THE MISTAKE: no source.close(), so EventSource reconnects once the server ends the response
    };

    source.onmessage = (event) => { // every event without an `event:` line
      if (event.data === '[DONE]') return finish(); // the end signal, not text
      text += event.data;
      onText(event.data);
    };

    source.addEventListener('end', finish); // a named event never reaches onmessage

    source.addEventListener('error', (event) => {
      if (event instanceof MessageEvent) { // the server's own `event: error` frame
        source.close();
        reject(new Error(event.data));
      } else if (source.readyState === EventSource.CLOSED) { // refused: the browser gave up
        reject(new Error(`the stream could not be opened: ${url}`));
      } // else readyState is CONNECTING: the connection dropped, and EventSource reconnects by itself
    });
  });
}
