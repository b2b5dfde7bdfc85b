// PITFALL no-close: the page sees the end signal but never calls close(). The server closes the
// response, and EventSource, which cannot tell a finished stream from a dropped one, reconnects
// after `retry` ms. Without ids the server starts the reply over: the same text again, forever.
// THE FIX (eventsource-client.js, CORRECT.atEnd): source.close() at the end signal. (A server can
// also answer a finished stream's reconnect with 204, as StreamLab does when ids are on.)
import { CORRECT } from '../eventsource-client.js';

export const transports = ['get', 'relay'];

export const eventSourceParts = {
  ...CORRECT,
  atEnd() {}, // THE MISTAKE: no source.close()
};
