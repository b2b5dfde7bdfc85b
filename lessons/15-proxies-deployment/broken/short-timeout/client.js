// EventSource on a StreamLab that needs the class token (FLASK_ACCESS_TOKEN).
// streamReply(url, token, onText) calls onText(chunk) for each chunk of text, and returns a Promise of
// the whole reply: resolved at the end signal, rejected on an error, or when the server refuses.
//
//   const text = await streamReply(`/stream?${new URLSearchParams({ prompt })}`, token, (chunk) => reply.append(chunk));

// EventSource cannot send headers (no Authorization: Bearer), so the token rides in the URL. Encoded:
// a token may hold + / and =, and in a query a + means a space.
export function withToken(url, token) {
  const address = new URL(url, location.href);
  address.searchParams.set('token', token);
  return address.href;
}

export function streamReply(url, token, onText) {
  return new Promise((resolve, reject) => {
    const source = new EventSource(withToken(url, token)); // every reconnect asks this URL again
    let text = '';

    const finish = () => {
      source.close();
      resolve(text);
    };

    source.onmessage = (event) => {
      if (event.data === '[DONE]') return finish();
      text += event.data;
      onText(event.data);
    };

    source.addEventListener('error', (event) => {
      if (event instanceof MessageEvent) { // the server's own `event: error` frame
        source.close();
        reject(new Error(event.data));
      } else if (source.readyState === EventSource.CLOSED) { // refused, e.g. 401: no token, or a wrong one
        reject(new Error(`the stream could not be opened: ${url}`));
      } // else CONNECTING: the connection dropped, and EventSource reconnects by itself
    });
  });
}
