"""embed.js (on the restaurant's site) and frame.js (in the frame), run by Node against a small
stand-in for the DOM: the frame they make, and the height messages they send and accept. What
a real browser shows is the browser tests' to check."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[1] / "static" / "reservaflow"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")

# A page of the restaurant's site with the snippet in its body. Each check runs embed.js in a
# fresh context and prints what the test asserts.
EMBED_HARNESS = r"""
const vm = require("vm");
const fs = require("fs");
const source = fs.readFileSync(process.argv[1], "utf8");
const options = JSON.parse(process.argv[2]);

function element(tag, attrs) {
  const node = {
    tagName: tag.toUpperCase(), attributes: {}, style: {}, dataset: {}, parentNode: null,
    children: [],
    getAttribute(name) { return name in this.attributes ? this.attributes[name] : null; },
    setAttribute(name, value) { this.attributes[name] = String(value); },
    hasAttribute(name) { return name in this.attributes; },
    insertBefore(child, ref) {
      child.parentNode = this;
      const at = ref ? this.children.indexOf(ref) : this.children.length;
      this.children.splice(at, 0, child);
    },
    appendChild(child) { this.insertBefore(child, null); },
  };
  for (const [name, value] of Object.entries(attrs)) {
    node.attributes[name] = value;
    if (name.startsWith("data-")) {
      node.dataset[name.slice(5).replace(/-([a-z])/g, (m, c) => c.toUpperCase())] = value;
    }
  }
  if (attrs.src) node.src = new URL(attrs.src, "https://restaurant.example/menu").href;
  Object.defineProperty(node, "nextSibling", {
    get() {
      const siblings = this.parentNode ? this.parentNode.children : [];
      return siblings[siblings.indexOf(this) + 1] || null;
    },
  });
  return node;
}

const listeners = [];
const body = element("body", {});
body.appendChild(element("p", {}));
const tags = options.tags.map((attrs) => element("script", attrs));
for (const tag of tags) {
  body.appendChild(element("div", {}));
  body.appendChild(tag);
}
const document = {
  currentScript: options.currentScript ? tags[0] : null,
  head: element("head", {}),
  documentElement: { lang: options.pageLang || "" },
  body,
  baseURI: "https://restaurant.example/menu",
  createElement(tag) { return element(tag, {}); },
  getElementsByTagName(name) {
    return name === "script" ? body.children.filter((c) => c.tagName === "SCRIPT") : [];
  },
  addEventListener() {},
};
const window = { addEventListener(type, fn) { if (type === "message") listeners.push(fn); } };
vm.runInNewContext(source, { window, document, URL, Object, Number, Math, isFinite });

const frames = body.children.filter((c) => c.tagName === "IFRAME");
const result = { frames: [], placedAfterTag: [], heights: [] };
frames.forEach((frame) => {
  frame.contentWindow = { name: "the frame" };
  result.frames.push({ src: frame.src, title: frame.title, style: frame.style });
  result.placedAfterTag.push(body.children[body.children.indexOf(frame) - 1].tagName);
});
if (frames.length) {
  const frame = frames[0];
  for (const [origin, fromFrame, data] of options.messages) {
    const source = fromFrame ? frame.contentWindow : { name: "another window" };
    listeners.forEach((fn) => fn({ origin, source, data }));
    result.heights.push(frame.style.height);
  }
}
console.log(JSON.stringify(result));
"""

FRAME_HARNESS = r"""
const vm = require("vm");
const fs = require("fs");
const source = fs.readFileSync(process.argv[1], "utf8");
const options = JSON.parse(process.argv[2]);
let height = 812.4;
const posted = [];
const documentListeners = {};
let observer = null;
const window = {
  addEventListener(type, fn) { documentListeners["window:" + type] = fn; },
};
const parent = { postMessage(msg, target) { posted.push([msg, target]); } };
window.parent = options.framed ? parent : window;
const document = {
  documentElement: { getBoundingClientRect() { return { height }; } },
  addEventListener(type, fn) { documentListeners[type] = fn; },
};
window.ResizeObserver = class {
  constructor(callback) { observer = { callback, observed: [] }; }
  observe(node) { observer.observed.push(node === document.documentElement); }
};
vm.runInNewContext(source, { window, document, Math, ResizeObserver: window.ResizeObserver });
if (options.framed) {
  documentListeners["window:load"]();  // the same height again: nothing new
  height = 1300;
  documentListeners["htmx:afterSettle"]();
  height = 640.1;
  observer.callback();
}
console.log(JSON.stringify({ posted, observed: observer ? observer.observed : [] }));
"""


def run(harness: str, script: str, options: dict) -> dict:
    completed = subprocess.run(
        ["node", "-e", harness, str(STATIC / script), json.dumps(options)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(completed.stdout)


SNIPPET = {
    "src": "https://book.example/static/reservaflow/embed.js",
    "data-restaurant": "casa",
    "async": "",
}
GOOD = "https://book.example"


def embed(**options) -> dict:
    return run(
        EMBED_HARNESS,
        "embed.js",
        {"tags": [SNIPPET], "currentScript": True, "messages": [], **options},
    )


def test_the_snippet_puts_a_frame_with_the_booking_page_after_itself():
    result = embed()
    (frame,) = result["frames"]
    assert frame["src"] == "https://book.example/book/casa/?embed=1"
    assert frame["title"] == "Book a table"
    assert frame["style"]["width"] == "100%" and frame["style"]["border"] == "0"
    assert result["placedAfterTag"] == ["SCRIPT"]


def test_the_options_are_passed_to_the_booking_page():
    tag = {
        **SNIPPET,
        "data-lang": "es",
        "data-party-size": "4",
        "data-date": "2030-01-10",
        "data-time": "20:30",
    }
    (frame,) = embed(tags=[tag])["frames"]
    assert frame["src"] == (
        "https://book.example/book/casa/?embed=1&lang=es&party_size=4&date=2030-01-10&time=20%3A30"
    )
    assert frame["title"] == "Reservar mesa"


def test_without_current_script_every_snippet_of_the_page_gets_its_frame():
    other = {**SNIPPET, "data-restaurant": "otra"}
    unrelated = {"src": "https://cdn.example/analytics.js", "data-restaurant": "x"}
    result = embed(tags=[SNIPPET, unrelated, other], currentScript=False)
    assert [f["src"] for f in result["frames"]] == [
        "https://book.example/book/casa/?embed=1",
        "https://book.example/book/otra/?embed=1",
    ]


def test_only_the_frames_own_height_messages_resize_it():
    height = {"type": "reservaflow:height", "height": 900.2}
    result = embed(
        messages=[
            ["https://evil.example", True, {**height, "height": 5}],  # another origin
            [GOOD, False, {**height, "height": 6}],  # another window of that origin
            [GOOD, True, {"type": "something-else", "height": 7}],
            [GOOD, True, {"type": "reservaflow:height", "height": "tall"}],
            [GOOD, True, {"type": "reservaflow:height", "height": -3}],
            [GOOD, True, None],
            [GOOD, True, height],
        ]
    )
    assert result["heights"] == ["640px"] * 6 + ["901px"]


def test_the_frame_posts_its_height_when_it_changes():
    result = run(FRAME_HARNESS, "frame.js", {"framed": True})
    message = {"type": "reservaflow:height"}
    assert result["posted"] == [
        [{**message, "height": 813}, "*"],
        [{**message, "height": 1300}, "*"],
        [{**message, "height": 641}, "*"],
    ]
    assert result["observed"] == [True]


def test_outside_a_frame_it_posts_nothing():
    assert run(FRAME_HARNESS, "frame.js", {"framed": False}) == {"posted": [], "observed": []}
