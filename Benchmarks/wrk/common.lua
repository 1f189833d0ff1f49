-- Shared by every wrk script of `make bench`: lines of a data file, and one summary line per run.
local common = {}

function common.lines(path)
  local items = {}
  for line in io.lines(path) do
    if line ~= "" then
      local fields = {}
      for field in line:gmatch("%S+") do fields[#fields + 1] = field end
      items[#items + 1] = fields
    end
  end
  return items
end

-- "name rps p50 p99 max errors": what bench.sh collects into Docs/benchmarks.md. A run whose threads
-- may stop before its end (answers, once every open case is answered) passes its connections: wrk
-- divides by the whole run's length, so its rate is taken by Little's law instead (connections, each
-- waiting for one request at a time, over a request's mean latency).
function common.report(summary, latency, connections)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  local seconds = summary.duration / 1e6
  if connections and latency.mean > 0 and summary.requests > 0 then
    seconds = summary.requests * (latency.mean / 1e6) / connections
  end
  local kinds = ""
  if errors > 0 then
    kinds = string.format(" (connect %d, read %d, write %d, status %d, timeout %d)", summary.errors.connect, summary.errors.read,
      summary.errors.write, summary.errors.status, summary.errors.timeout)
  end
  io.write(string.format("RESULT rps=%.0f p50=%.2fms p99=%.2fms max=%.2fms requests=%d errors=%d%s\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests, errors, kinds))
end

return common
