// PITFALL innerhtml: the reply is put into the page as HTML (often through a Markdown renderer).
// Markup in it becomes part of the page: an <img onerror=...> a user or a model wrote runs as
// script, as the reader, with their session. Here the page's Content-Security-Policy (no inline
// script) stops it, and the pane shows what got through.
// THE FIX (clients.js, render): add text as text, element.append(chunk) or textContent; if you
// render Markdown, sanitise the HTML it makes.
export const transports = ['get', 'post', 'relay', 'openai'];

export function render(element, chunk, whole) {
  element.innerHTML = whole; // THE MISTAKE
}
