// Try your readReply() in the terminal, against a running StreamLab (`flask run`):
//
//   node lessons/06-json-frames/exercise/chat.js
//
// The same echo twice, in plain frames and in JSON frames, printed with JSON.stringify so every
// space, \r and \n shows. Its text has leading spaces, a CRLF, Chinese and an emoji.
import { readReply } from './frames.js';

const message = process.argv[2] ?? '  Hi,\r\n你好 🙂';
const server = process.env.STREAMLAB_URL ?? 'http://127.0.0.1:5000';

try {
  for (const frame of ['plain', 'json']) {
    const reply = await readReply(`${server}/api/chat`, { message, model: 'echo', delay: 0, split: 'on', frame });
    console.log(`${frame.padEnd(5)}  ${JSON.stringify(reply)}`);
  }
} catch (error) {
  console.error(`Error: ${error.message}`);
  process.exitCode = 1;
}
