// Lesson 05: read a POST stream with fetch. Check your work with:  flask lesson check 05
// Read README.md first. Try it by hand:  node lessons/05-fetch-stream/exercise/chat.js "你好 🙂"

// A parser for text/event-stream: push(bytes) takes the bytes of one read, any number of them,
// and returns the events they complete, each { type, data }.
export function createParser() {
  const decoder = new TextDecoder(); // UTF-8
  let data = []; // the data: lines of the event being read
  let type = ''; // its event: name

  function push(bytes) {
    // TODO task 2: decode with { stream: true }, and keep the unfinished line in a buffer
    //   for the next push: a read may end anywhere, even inside a character.
    const text = decoder.decode(bytes);
    const events = [];
    // TODO task 1: split the text into lines (CRLF, LF or CR). For each line:
    //   a blank line ends the event: push { type: type || 'message', data: data.join('\n') } if it has data;
    //   "data: VALUE" adds VALUE to data (remove one space after the colon, no more);
    //   "event: NAME" sets type; a line starting with ":" is a comment; other fields are ignored.
    return events;
  }

  return { push };
}

// POST a chat request: body is { message, history, ...options }. Calls onText with each piece
// of the reply as it arrives, and resolves with the whole reply at data: [DONE].
export async function streamChat(url, body, onText = () => {}) {
  // TODO task 3: fetch(url) with method 'POST', a JSON body and its Content-Type header;
  //   read response.body with a reader; push each read into a parser; call onText(event.data)
  //   for each event; resolve with the whole reply at "[DONE]", and throw if the stream ends before it.
  // TODO task 4: when !response.ok, throw an Error with the server's message: its JSON body's error.message.
  throw new Error('streamChat() is not written yet (task 3)');
}
