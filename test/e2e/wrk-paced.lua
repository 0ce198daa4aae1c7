-- wrk -s: each connection waits WRK_PACE_MS (default 50) between its requests, so the load is a steady
-- connections x 1000 / (pace + latency) requests per second instead of all the machine can serve.
local pace = tonumber(os.getenv("WRK_PACE_MS") or "50")

function delay()
    return pace
end
