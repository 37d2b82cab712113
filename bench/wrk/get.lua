-- GET the given URL with a bearer token (BENCH_TOKEN) and, optionally, extra headers.
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
local cold = os.getenv("BENCH_COLD")
if cold then wrk.headers["X-Bench-Cold"] = "1" end
