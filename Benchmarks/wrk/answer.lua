-- Platform staff answering open complaints: BENCH_DATA is "token complaint_id refund" lines, each case
-- answered once (each thread takes every n-th line). A case answered twice is refused (409), and those
-- refusals are not what the run measures: a thread whose share is used up stops at its next response.
-- Until it does, its connections ask for /health, which costs next to nothing; the answers still in
-- flight when it stops are done by the service but their responses are not read.
package.path = package.path .. ";" .. os.getenv("BENCH_SCRIPTS") .. "/?.lua"
local common = require("common")
local items = {}
local next_index = 1
local step = 1
local threads = {}

-- Wall-clock seconds (wrk's Lua has only whole seconds): read twice per thread.
local function now()
  local clock = io.popen("date +%s.%N")
  local value = tonumber(clock:read("*l"))
  clock:close()
  return value
end

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("number", #threads)
end

function init(args)
  items = common.lines(os.getenv("BENCH_DATA"))
  step = tonumber(os.getenv("BENCH_THREADS") or "2")
  next_index = number or 1
  answers = 0
  -- wrk builds the first thread's first request once more, after this, only to check the script,
  -- and never sends it: that one takes no case.
  checking = number == 1
  started = now()
end

function request()
  local item = items[next_index]
  if checking or item == nil then
    checking = false
    return wrk.format("GET", "/health")
  end
  next_index = next_index + step
  answers = answers + 1
  return wrk.format("POST", "/api/v1/complaints/" .. item[2] .. "/actions/respond", {
    ["Authorization"] = "Bearer " .. item[1],
    ["Content-Type"] = "application/json",
  }, '{"decision":"propose","proposal":{"refund":' .. item[3] .. ',"text":"核实后全额退款"}}')
end

function response(status, headers, body)
  if items[next_index] == nil and stopped == nil then
    stopped = now()
    wrk.thread:stop()
  end
end

-- The answers sent, over the longest thread's time from its start to its stop (the whole run for a
-- thread that never ran out): wrk's own rate divides by the whole run.
function done(summary, latency, requests)
  local sent, seconds = 0, 0
  for _, thread in ipairs(threads) do
    sent = sent + (thread:get("answers") or 0)
    local started, stopped = thread:get("started"), thread:get("stopped")
    local span = summary.duration / 1e6
    if started and stopped then span = stopped - started end
    seconds = math.max(seconds, span)
  end
  common.report(summary, latency, sent, seconds)
end
