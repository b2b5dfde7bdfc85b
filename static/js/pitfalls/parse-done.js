// PITFALL parse-done: every data line goes to JSON.parse, the end signal too. `data: [DONE]` is
// not JSON, so JSON.parse("[DONE]") throws SyntaxError at the end of every reply, and the code
// after it (closing the stream, saving the reply) never runs.
// THE FIX (clients.js, content): test for the sentinel before parsing.
export const transports = ['get', 'post', 'relay'];

export function content(event) {
  if (event.type !== 'message') return '';
  return JSON.parse(event.data).content; // THE MISTAKE: [DONE] reaches JSON.parse
}
