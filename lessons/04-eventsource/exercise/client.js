// Lesson 04: receive a streamed reply with EventSource (GET). Check your work with:  flask lesson check 04
// Read README.md first. streamReply(url, onText) calls onText(chunk) for each chunk of text, and
// returns a Promise of the whole reply: resolved at the end signal, rejected on an error.
//
//   const text = await streamReply(`/stream?prompt=${encodeURIComponent(prompt)}`, (chunk) => reply.append(chunk));

export function streamReply(url, onText) {
  return new Promise((resolve, reject) => {
    const source = new EventSource(url); // a GET request: no body, no headers of your own
    let text = '';

    const finish = () => {
      // TODO task 2: close the EventSource here, or the browser reconnects when the server ends the response.
      resolve(text);
    };

    source.onmessage = (event) => {
      // TODO task 1: event.data is one chunk of text. At '[DONE]' call finish(); otherwise add the
      // chunk to text and pass it to onText.
    };

    // TODO task 3: with end=event the reply ends with a named event, `event: end`: listen for it.

    // TODO task 4: listen for 'error'. Reject on the server's `event: error` frame (a MessageEvent:
    // its data is the message) and when the browser gives up (readyState is EventSource.CLOSED).
    // At readyState CONNECTING the connection dropped, and EventSource reconnects by itself.
  });
}
