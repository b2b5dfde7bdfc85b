// Try your resumeChat() in the terminal, against a running StreamLab (`flask run`):
//
//   node lessons/08-reconnect-resume/exercise/chat.js "你好，世界 🙂"
//
// The reply is the message itself (model: 'echo'), 50 ms a character. The server cuts the
// response after every 4 characters (drop_after: 4) and asks for a 500 ms wait (retry: 500).
// Each reconnect shows up as [Last-Event-ID: N] in the middle of the text.
import { resumeChat } from './resume.js';

const message = process.argv[2] ?? 'Hello, 你好，世界 🙂 resuming!';
const server = process.env.STREAMLAB_URL ?? 'http://127.0.0.1:5000';
const body = { message, model: 'echo', delay: 50, drop_after: 4, retry: 500 };

// For this demo only: show the Last-Event-ID of every request resumeChat() sends.
const realFetch = globalThis.fetch;
globalThis.fetch = (url, options = {}) => {
  const id = new Headers(options.headers).get('Last-Event-ID');
  if (id) process.stdout.write(` [Last-Event-ID: ${id}] `);
  return realFetch(url, options);
};

try {
  await resumeChat(`${server}/api/chat`, body, (text) => process.stdout.write(text));
  process.stdout.write('\n');
} catch (error) {
  console.error(`\nError: ${error.message}`);
  process.exitCode = 1;
}
