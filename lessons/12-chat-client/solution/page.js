// The chat page: the conversation, a form, a Stop button, and the usage counts of the last reply.
// Your Chat (chat.js) does the streaming; this file only wires the page to it.
//
// StreamLab's options come from the page's address, e.g. /chat/?model=echo&delay=200
// (by default the tutor model, 30 ms a character).
import { Chat } from './chat.js';

const options = { model: 'tutor', delay: 30, ...Object.fromEntries(new URLSearchParams(location.search)) };
const chat = new Chat('/api/chat', options);
const form = document.querySelector('form');
const input = form.elements.message;
const stop = document.querySelector('#stop');
const log = document.querySelector('#log');
const status = document.querySelector('#status');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const message = input.value.trim();
  if (!message) return;
  input.value = '';
  turn('user').textContent = message; // what the user typed is text too
  form.elements.send.disabled = true;
  stop.disabled = false;
  status.textContent = '…';
  try {
    await chat.send(message, turn('assistant'));
    status.textContent = chat.usage ? describe(chat.usage) : 'stopped';
  } catch (error) {
    status.textContent = `Error: ${error.message}`;
  } finally {
    form.elements.send.disabled = false;
    stop.disabled = true;
  }
});

stop.addEventListener('click', () => chat.stop());

input.addEventListener('keydown', (event) => { // Enter sends, Shift+Enter adds a line
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    form.requestSubmit();
  }
});

// A new paragraph at the end of the conversation, for one turn.
function turn(role) {
  const element = document.createElement('p');
  element.className = role;
  log.append(element);
  element.scrollIntoView({ block: 'end' });
  return element;
}

// The usage counts, as the end event named them: "prompt_chars 158 · prompt_chunks 158 · ..."
function describe(usage) {
  return Object.entries(usage).map(([name, count]) => `${name} ${count}`).join(' · ');
}
