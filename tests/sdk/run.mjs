// Run the official JavaScript SDKs against a StreamLab server and print what each call got, as JSON.
// Usage: node tests/sdk/run.mjs http://127.0.0.1:5000  (tests/test_sdks_node.py reads the output)
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import OpenAI6 from 'openai6';

const [base] = process.argv.slice(2);
const TRICKY = process.env.TRICKY;
const ask = (content) => [{ role: 'user', content }];

// What a call ended with: the text it received and its final object, or the error it threw.
async function outcome(call) {
  const got = { text: '' };
  try {
    got.final = await call(got);
  } catch (error) {
    got.error = { name: error.constructor.name, status: error.status ?? null, message: String(error.message) };
  }
  return got;
}

// The quickstart's way: create({ stream: true }) and a for await loop over the chunks.
async function iterate(got, stream) {
  for await (const chunk of stream) got.text += chunk.choices[0]?.delta?.content ?? '';
  return 'ended';
}

function openaiCases(SDK) {
  const sdk = (options = {}) => new SDK({ baseURL: `${base}/v1`, apiKey: 'any key works', maxRetries: 0, ...options });
  const chat = (got, options, client = sdk()) => {
    const stream = client.chat.completions.stream({ model: 'echo', messages: ask('abcdef'), delay: 0, ...options });
    stream.on('content', (delta) => { got.text += delta; });
    return stream.finalChatCompletion();
  };
  const responses = (got, options) => {
    const stream = sdk().responses.stream({ model: 'echo', input: 'abcdef', delay: 0, ...options });
    stream.on('response.output_text.delta', (event) => { got.text += event.delta; });
    return stream.finalResponse();
  };
  return {
    'chat-stream': async (got) => {
      const stream = sdk().chat.completions.stream({
        model: 'echo', messages: ask(TRICKY), delay: 0, stream_options: { include_usage: true },
      });
      stream.on('content', (delta) => { got.text += delta; });
      const final = await stream.finalChatCompletion();
      return { content: final.choices[0].message.content, finish: final.choices[0].finish_reason, usage: final.usage };
    },
    'chat-whole': async () => {
      const whole = await sdk().chat.completions.create({ model: 'gpt-any', messages: ask('Hi'), delay: 0 });
      return { model: whole.model, content: whole.choices[0].message.content };
    },
    'responses-stream': async (got) => {
      const stream = sdk().responses.stream({ model: 'echo', input: TRICKY, delay: 0 });
      stream.on('response.output_text.delta', (event) => { got.text += event.delta; });
      const final = await stream.finalResponse();
      return { content: final.output_text, status: final.status, usage: final.usage };
    },
    'responses-whole': async () => {
      const whole = await sdk().responses.create({ model: 'echo', input: TRICKY, delay: 0 });
      return { content: whole.output_text, status: whole.status };
    },
    'chat-create-stream': async (got) => iterate(got, await sdk().chat.completions.create({
      model: 'echo', messages: ask(TRICKY), stream: true, delay: 0 })),
    'chat-create-drop_after': async (got) => iterate(got, await sdk().chat.completions.create({
      model: 'echo', messages: ask('abcdef'), stream: true, delay: 0, drop_after: 2 })),
    'chat-error_at': (got) => chat(got, { error_at: 3 }),
    'chat-drop_after': (got) => chat(got, { drop_after: 2 }),
    'chat-fail': (got) => chat(got, { fail: 429 }),
    'chat-retry': (got) => chat(got, { fail: 429, fail_times: 1 }, sdk({ maxRetries: 2 })),
    'responses-error_at': (got) => responses(got, { error_at: 3 }),
    'responses-drop_after': (got) => responses(got, { drop_after: 2 }),
  };
}

function anthropicCases() {
  const sdk = (options = {}) => new Anthropic({ baseURL: base, apiKey: 'any key works', maxRetries: 0, ...options });
  const messages = (got, options, client = sdk()) => {
    const stream = client.messages.stream({ model: 'echo', max_tokens: 100, messages: ask('abcdef'), delay: 0, ...options });
    stream.on('text', (text) => { got.text += text; });
    return stream.finalMessage();
  };
  return {
    'messages-stream': async (got) => {
      const stream = sdk().messages.stream({ model: 'echo', max_tokens: 1024, messages: ask(TRICKY), delay: 0 });
      stream.on('text', (text) => { got.text += text; });
      const final = await stream.finalMessage();
      return { content: final.content[0].text, stop: final.stop_reason, usage: final.usage };
    },
    'messages-whole': async () => {
      const whole = await sdk().messages.create({ model: 'claude-any', max_tokens: 100, messages: ask('Hi'), delay: 0 });
      return { model: whole.model, content: whole.content[0].text };
    },
    'messages-error_at': (got) => messages(got, { error_at: 3 }),
    'messages-drop_after': (got) => messages(got, { drop_after: 2 }),
    'messages-fail': (got) => messages(got, { fail: 429 }),
    'messages-retry': (got) => messages(got, { fail: 429, fail_times: 1 }, sdk({ maxRetries: 2 })),
  };
}

const suites = { openai: openaiCases(OpenAI), openai6: openaiCases(OpenAI6), anthropic: anthropicCases() };
const results = {};
for (const [name, cases] of Object.entries(suites)) {
  for (const [key, call] of Object.entries(cases)) results[`${name}:${key}`] = await outcome(call);
}
console.log(JSON.stringify(results));
