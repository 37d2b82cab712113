-- GET the given URL with a bearer token (BENCH_TOKEN) and, optionally, extra headers: a
-- session cookie (BENCH_COOKIE, the host stand), an If-None-Match (BENCH_IF_NONE_MATCH, the
-- host stand's unchanged poll). Counts the answers by status: "BENCH status 200=.. 304=..".
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
local cold = os.getenv("BENCH_COLD")
if cold then wrk.headers["X-Bench-Cold"] = "1" end
local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then wrk.headers["Cookie"] = cookie end
local etag = os.getenv("BENCH_IF_NONE_MATCH")
if etag and etag ~= "" then wrk.headers["If-None-Match"] = etag end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, not_modified, other = 0, 0, 0
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  elseif status == 304 then
    not_modified = not_modified + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local a, b, c = 0, 0, 0
  for _, thread in ipairs(threads) do
    a = a + thread:get("ok")
    b = b + thread:get("not_modified")
    c = c + thread:get("other")
  end
  io.write(string.format("BENCH status 200=%d 304=%d other=%d\n", a, b, c))
end
