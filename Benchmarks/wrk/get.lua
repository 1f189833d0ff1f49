-- GET requests as one of many callers: BENCH_DATA names a file of "token path" lines; each request
-- picks a line at random.
package.path = package.path .. ";" .. os.getenv("BENCH_SCRIPTS") .. "/?.lua"
local common = require("common")
local items = {{"-", "/health"}}

function init(args)
  items = common.lines(os.getenv("BENCH_DATA"))
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16))
end

function request()
  local item = items[math.random(#items)]
  local headers = {}
  if item[1] ~= "-" then headers["Authorization"] = "Bearer " .. item[1] end
  return wrk.format("GET", item[2], headers)
end

function done(summary, latency, requests) common.report(summary, latency) end
