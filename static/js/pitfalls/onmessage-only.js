// PITFALL onmessage-only: the page listens with onmessage alone. onmessage only hears events with
// no `event:` line, so `event: end` never reaches it: the page never learns the reply is complete,
// and when the server closes the response EventSource reconnects, again and again.
// THE FIX (eventsource-client.js, CORRECT.listen): source.addEventListener('end', ...).
import { CORRECT } from '../eventsource-client.js';

export const transports = ['get', 'relay'];

export const eventSourceParts = {
  ...CORRECT,
  listen(source, { message, error }) {
    source.onmessage = message; // THE MISTAKE: nothing listens for `end`
    source.addEventListener('error', error);
  },
};
