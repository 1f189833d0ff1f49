-- Request Tracker's REST2 API as its web UI's signed-in user: the session cookie (BENCH_COOKIE) and
-- the Referer a browser sends (BENCH_REFERER; RT refuses a cookie-session write without it).
-- BENCH_MODE "create": new tickets in the General queue, the text of Redress's intake run, from 100
-- requestors (RT makes a user of a new address: the preload has made most of them);
-- otherwise GETs of the paths in BENCH_DATA, one per line, picked at random.
package.path = package.path .. ";" .. os.getenv("BENCH_SCRIPTS") .. "/?.lua"
local common = require("common")
local paths = {{"/"}}
local create = os.getenv("BENCH_MODE") == "create"
local headers = {
  ["Cookie"] = os.getenv("BENCH_COOKIE"),
  ["Referer"] = os.getenv("BENCH_REFERER"),
}
local counter = 0

function init(args)
  if not create then paths = common.lines(os.getenv("BENCH_DATA")) end
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16))
end

function request()
  if create then
    counter = counter + 1
    local body = '{"Queue":"General","Subject":"点卡付款后未发卡密","Requestor":"consumer' .. math.random(1, 100) ..
      '@example.com","Content":"付款成功后卡密一直未发放，客服不回复。订单 BENCH-' .. counter .. '，游戏点卡 100元，要求退款 100.00 元。"}'
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", "/REST/2.0/ticket", headers, body)
  end
  return wrk.format("GET", paths[math.random(#paths)][1], headers)
end

function response(status, headers, body)
  if status >= 300 and os.getenv("BENCH_DEBUG") then io.write(status .. " " .. body .. "\n") end
end

function done(summary, latency, requests) common.report(summary, latency) end
