-- Platform staff answering open complaints: BENCH_DATA is "token complaint_id refund" lines, each case
-- answered once (each thread takes every n-th line). A thread whose share is used up stops: a case
-- answered twice is refused (409), and those refusals are not what the run measures.
package.path = package.path .. ";" .. os.getenv("BENCH_SCRIPTS") .. "/?.lua"
local common = require("common")
local items = {}
local next_index = 1
local step = 1
local thread_number = 0

function setup(thread)
  thread_number = thread_number + 1
  thread:set("number", thread_number)
end

function init(args)
  items = common.lines(os.getenv("BENCH_DATA"))
  step = tonumber(os.getenv("BENCH_THREADS") or "2")
  next_index = number or 1
end

function request()
  local item = items[next_index]
  next_index = next_index + step
  if item == nil then
    -- The thread stops after the response in flight; until then its connections ask for
    -- something that answers 200 and costs next to nothing.
    return wrk.format("GET", "/health")
  end
  return wrk.format("POST", "/api/v1/complaints/" .. item[2] .. "/actions/respond", {
    ["Authorization"] = "Bearer " .. item[1],
    ["Content-Type"] = "application/json",
  }, '{"decision":"propose","proposal":{"refund":' .. item[3] .. ',"text":"核实后全额退款"}}')
end

function response(status, headers, body)
  if items[next_index] == nil then wrk.thread:stop() end
end

function done(summary, latency, requests) common.report(summary, latency, tonumber(os.getenv("BENCH_CONNECTIONS"))) end
