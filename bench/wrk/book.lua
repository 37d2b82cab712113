-- POST /api/reservations/ with a different body (table and slot) on every request.
-- Bodies come one per line from BENCH_BODIES; thread n takes lines O + n, O + n + T, ...
local token = os.getenv("BENCH_TOKEN")
local threads = {}
local bodies = {}
for line in io.lines(os.getenv("BENCH_BODIES")) do bodies[#bodies + 1] = line end

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
  step = tonumber(os.getenv("BENCH_THREADS"))
  -- Warm-up and measured runs are separate wrk processes: each starts at its own offset.
  next_index = tonumber(os.getenv("BENCH_OFFSET") or "0") + id + 1
  created, other = 0, 0
  -- Every id answered 201 is written down, so the run can check each one is stored.
  created_file = io.open(os.getenv("BENCH_CREATED") .. (os.getenv("BENCH_OFFSET") or "0")
    .. "-" .. id .. ".txt", "w")
end

function request()
  local body = bodies[next_index]
  next_index = next_index + step
  if body == nil then error("out of bodies") end
  return wrk.format(nil, "/api/reservations/", nil, body)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
    created_file:write(string.match(body, '"id":"([%x-]+)"'), "\n")
    created_file:flush()
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local c, o = 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("created")
    o = o + thread:get("other")
  end
  io.write(string.format("BENCH created=%d other=%d\n", c, o))
end
