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
-- may stop before its end (answers, once every open case is answered) passes what it counts and the
-- seconds it took: wrk divides its requests by the whole run.
function common.report(summary, latency, requests, seconds)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  requests = requests or summary.requests
  seconds = seconds or summary.duration / 1e6
  local kinds = ""
  if errors > 0 then
    kinds = string.format(" (connect %d, read %d, write %d, status %d, timeout %d)", summary.errors.connect, summary.errors.read,
      summary.errors.write, summary.errors.status, summary.errors.timeout)
  end
  io.write(string.format("RESULT rps=%.0f p50=%.2fms p99=%.2fms max=%.2fms requests=%d errors=%d%s\n",
    requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    requests, errors, kinds))
end

return common
