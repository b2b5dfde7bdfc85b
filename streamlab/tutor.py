"""What the `tutor` model says: short, patient answers about the lesson topics.

Edit freely: a topic is a few keywords, one answer per language, and the lesson that teaches it.
The reply is opener + the topic's answer + closer, each picked by the conversation's seed, so it
never changes between runs; a topic with a lesson ends by pointing to it.
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    keywords: tuple[str, ...]
    english: str
    chinese: str
    lesson: str = ""  # the lesson folder that teaches it, e.g. "05-fetch-stream" ("" while there is none)


# The first topic whose keyword is in the prompt wins.
TOPICS: list[Topic] = [
    Topic(("relay", "upstream", "api key", "转发", "上游", "密钥"),
          "A chat app never gives the browser its API key: the browser asks your server, your server "
          "asks the model with the key and passes each piece of the stream on as it arrives. Read the "
          "upstream with a streaming HTTP client, and close it when the browser leaves.",
          "聊天应用从不把 API 密钥交给浏览器：浏览器问你的服务器，服务器带着密钥去问模型，"
          "收到流的每一小段就马上转给浏览器。用能流式读取的 HTTP 客户端读上游，浏览器离开时把它关掉。", "14-relay"),
    Topic(("openai", "anthropic", "claude", "sdk", "completion", "官方"),
          "The real APIs stream the same SSE with more in each frame: OpenAI sends chat.completion.chunk "
          "objects with the text in choices[0].delta.content, then data: [DONE]; Anthropic names every "
          "event, message_start to message_stop. Point an SDK's base_url at StreamLab to try them free.",
          "真实 API 发的也是 SSE，只是每一帧装得更多：OpenAI 发 chat.completion.chunk 对象，文字在 "
          "choices[0].delta.content 里，最后是 data: [DONE]；Anthropic 给每个事件起名字，从 message_start "
          "到 message_stop。把 SDK 的 base_url 指向 StreamLab，就能免费试。", "13-api-formats"),
    Topic(("reconnect", "resume", "last-event-id", "retry", "重连", "续传"),
          "When a stream drops, EventSource reconnects by itself and sends the last id it saw as "
          "the Last-Event-ID header. With ids on, the server continues with the next chunk; "
          "without ids it starts over and you see the text twice.",
          "连接断开后，EventSource 会自动重连，并在 Last-Event-ID 头里带上最后收到的 id。"
          "有了 id，服务器就从下一块接着发；没有 id，就只能从头再来。", "08-reconnect-resume"),
    Topic(("done", "end", "finish", "close", "结束", "关闭"),
          "A stream has to say that it is finished. A data: [DONE] line or a custom end event tells "
          "the page to call close(); if the server just hangs up, EventSource reconnects.",
          "流结束时要说一声。data: [DONE] 或自定义的 end 事件告诉页面调用 close()；"
          "如果服务器只是断开，EventSource 会重新连接。", "07-ending-a-stream"),
    Topic(("json", "frame", "format", "格式"),
          "Plain frames send the text itself after data:, so a line break splits it into two data "
          "lines. JSON frames wrap each chunk as {\"content\": ...}, which keeps every space and "
          "newline exactly and leaves room for usage and errors.",
          "纯文本帧把文字直接放在 data: 后面，换行会把它拆成两行。"
          "JSON 帧把每一块包成 {\"content\": ...}，空格和换行都原样保留。", "06-json-frames"),
    Topic(("http/2", "http2", "six connections", "deploy", "token", "部署", "令牌", "口令"),
          "Behind nginx, a stream needs HTTP/1.1 to the server and no buffering; over HTTP/1.1 a browser "
          "opens only six connections to one server, and HTTP/2 carries every stream on one. EventSource "
          "cannot send headers, so a token goes in the URL or a cookie.",
          "放在 nginx 后面时，流需要用 HTTP/1.1 连服务器、并且不缓冲；"
          "走 HTTP/1.1 时浏览器对一个服务器只开六条连接，HTTP/2 则把所有流放在一条连接上。"
          "EventSource 不能发请求头，所以令牌要放在 URL 或 cookie 里。", "15-proxies-deployment"),
    Topic(("heartbeat", "ping", "proxy", "nginx", "buffer", "心跳", "代理"),
          "A proxy may hold a response until it has enough bytes, or close one that looks idle. "
          "The header X-Accel-Buffering: no turns off nginx's buffer, and a : ping comment now "
          "and then keeps a quiet stream alive.",
          "代理可能会攒够字节才转发，也可能关掉看起来空闲的连接。"
          "X-Accel-Buffering: no 关掉 nginx 的缓冲，定时发送 : ping 注释让安静的流保持连接。", "09-heartbeats-proxies"),
    Topic(("fetch", "post", "readablestream", "reader", "decoder"),
          "EventSource can only GET, so chat apps POST with fetch and read response.body chunk by "
          "chunk. Keep a buffer: a frame, or even one character, can be split across two reads.",
          "EventSource 只能发 GET，所以聊天应用用 fetch 发 POST，再一块一块读 response.body。"
          "要留一个缓冲区：一帧，甚至一个字符，都可能被拆在两次读取之间。", "05-fetch-stream"),
    Topic(("error", "fail", "错误", "失败"),
          "Errors come in two kinds. Before the stream starts, the server can still answer with an "
          "HTTP status and a JSON body; once events are flowing, it can only send an error frame.",
          "错误分两种。流开始之前，服务器还能回一个 HTTP 状态码和 JSON；"
          "事件开始流动以后，就只能发一个错误帧。", "11-errors"),
    Topic(("cancel", "stop", "abort", "取消", "停止"),
          "To stop a stream, the page calls es.close() or aborts its fetch with an AbortController. "
          "The server notices at its next write and cleans up in a finally block.",
          "要停止一个流，页面调用 es.close()，或用 AbortController 中止 fetch。"
          "服务器在下一次写入时发现，并在 finally 里清理。", "10-cancel-cleanup"),
]

# Used when no keyword matches: the basics every lesson builds on.
BASICS: list[tuple[str, str]] = [
    ("Streaming shows the reply while it is still being written, so the first words arrive "
     "in a fraction of a second instead of after the whole answer.",
     "流式输出让回答一边生成一边显示，第一个字不到一秒就出现，而不用等整段写完。"),
    ("Server-Sent Events are plain text over one long HTTP response: each event is a few "
     "data: lines followed by a blank line.",
     "Server-Sent Events 就是一个很长的 HTTP 响应里的纯文本：每个事件是几行 data:，再加一个空行。"),
    ("Each event should leave the server the moment it is ready. A generator that yields one "
     "event at a time does exactly that.",
     "每个事件一准备好就应该立刻发出。一个一次 yield 一个事件的生成器正好做到这一点。"),
]

OPENERS = [("Good question.", "好问题。"), ("Let's look at it together.", "我们一起来看看。"),
           ("Here is the short version.", "简单地说：")]
FOLLOW_UP = ("Building on what we just discussed:", "接着刚才的话题：")
CLOSERS = [("Try it in the classroom page and watch the wire.", "在课堂页面上试一试，看看原始帧里的字节。"),
           ("Change one option at a time and compare.", "每次只改一个选项，对比一下。"),
           ("The lesson for this topic has an exercise.", "这个主题的课程里有一个练习。")]

CHINESE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")


def mentions(prompt: str, word: str) -> bool:
    """Say whether the prompt has the keyword as a whole word, or its plural ("send" is not "end")."""
    return re.search(rf"(?<![a-z]){re.escape(word)}s?(?![a-z])", prompt.lower()) is not None


def answer(prompt: str, follow_up: bool, seed: int) -> str:
    """Compose the reply: Chinese for a prompt with Chinese characters, English otherwise."""
    lang = 1 if CHINESE.search(prompt) else 0
    topic = next((topic for topic in TOPICS if any(mentions(prompt, word) for word in topic.keywords)), None)
    body = (topic.english, topic.chinese)[lang] if topic else BASICS[seed % len(BASICS)][lang]
    opener = FOLLOW_UP if follow_up else OPENERS[seed // 7 % len(OPENERS)]
    closer = CLOSERS[seed // 11 % len(CLOSERS)]
    if topic and topic.lesson:
        number = topic.lesson[:2]
        closer = (f"Lesson {number} teaches it, with an exercise: /lessons/{topic.lesson}",
                  f"第 {number} 课讲的就是这个，还有练习：/lessons/{topic.lesson}")
    return "".join((opener[lang], "" if lang else " ", body, "" if lang else " ", closer[lang]))
