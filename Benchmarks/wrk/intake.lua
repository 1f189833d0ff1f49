-- Consumers filing complaints: BENCH_DATA is "token platform_id" lines; every request has its own
-- Idempotency-Key, so each is a new complaint through the full path.
package.path = package.path .. ";" .. os.getenv("BENCH_SCRIPTS") .. "/?.lua"
local common = require("common")
-- Seeded by the clock, so that a second run on the same store makes new keys rather than reusing
-- the first run's with other bodies (each answered 422).
math.randomseed(os.time())
local items = {{"-", "00000000-0000-0000-0000-000000000000"}}
local counter = 0
local thread_tag = tostring(math.random(1, 1e9))

function setup(thread)
  thread:set("tag", tostring(math.random(1, 1e9)))
end

function init(args)
  items = common.lines(os.getenv("BENCH_DATA"))
  thread_tag = tag or thread_tag
  math.randomseed(os.time() + tonumber(thread_tag))
end

function request()
  counter = counter + 1
  local item = items[math.random(#items)]
  local body = '{"platform_id":"' .. item[2] .. '","category":"non_delivery","title":"点卡付款后未发卡密",' ..
    '"description":"付款成功后卡密一直未发放，客服不回复。","order":{"order_no":"BENCH' .. thread_tag .. '-' .. counter ..
    '","product_name":"游戏点卡 100元","amount_paid":10000,"currency":"CNY"},"demands":[{"kind":"refund","amount":10000}]}'
  return wrk.format("POST", "/api/v1/complaints", {
    ["Authorization"] = "Bearer " .. item[1],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "bench-" .. thread_tag .. "-" .. counter,
  }, body)
end

function response(status, headers, body)
  if status ~= 201 and os.getenv("BENCH_DEBUG") then io.write(status .. " " .. body .. "\n") end
end

function done(summary, latency, requests) common.report(summary, latency) end
