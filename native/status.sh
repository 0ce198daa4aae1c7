# shellcheck shell=sh
# status: what runs on the host now, for getStatus (read-only, no lock). Usage: status.sh MODWSGI_D TELEMETRY_SETTINGS
# Output, one record a line (provider/functions/status.ts parses it):
#   key=value                     apache_version, apache_running, mod_wsgi_version, python_version, telemetry
#   conf<TAB>LINE                 each WSGIDaemonProcess line of the provider's config directory
#   proc<TAB>PID<TAB>ETIMES<TAB>RSS_KIB<TAB>ARGS   each child of Apache's main process named (wsgi:...)
#   tproc<TAB>PID<TAB>GROUP<TAB>REQUESTS<TAB>THROUGHPUT<TAB>CAPACITY<TAB>5XX<TAB>4XX<TAB>SLOW   (telemetry on)
main() {
    confdir=$1 settings=$2
    fact apache_version "$(apache2 -v 2>/dev/null | sed -n 's|^Server version: Apache/\([0-9.]*\).*|\1|p')"
    fact apache_running "$(apache_running && echo true || echo false)"
    # What the running server logged at its last (re)start: the versions it really runs, not what is on disk.
    running=$(grep -ho 'mod_wsgi/[0-9][0-9.]* Python/[0-9][0-9.]*' "$(error_log)" 2>/dev/null | tail -n 1 || true)
    fact mod_wsgi_version "$(printf '%s' "$running" | sed -n 's|^mod_wsgi/\([0-9.]*\) .*|\1|p')"
    fact python_version "$(printf '%s' "$running" | sed -n 's|.*Python/\([0-9.]*\)$|\1|p')"
    for f in "$confdir"/*.conf; do
        [ -f "$f" ] || continue
        grep -i '^[[:space:]]*WSGIDaemonProcess[[:space:]]' "$f" | sed 's/^/conf\t/' || true
    done
    parent=$(cat /var/run/apache2/apache2.pid 2>/dev/null || true)
    if [ -n "$parent" ]; then
        ps -o pid=,ppid=,etimes=,rss=,args= --ppid "$parent" 2>/dev/null |
            awk -v p="$parent" '$2 == p && $5 ~ /^\(wsgi:/ { a = $5; for (i = 6; i <= NF; i++) a = a " " $i
                printf "proc\t%s\t%s\t%s\t%s\n", $1, $3, $4, a }'
    fi
    telemetry "$settings"
}

# telemetry SETTINGS: the ingester's state (its /api/state), reduced per process on the host (it can be megabytes).
telemetry() {
    if [ ! -f "$1" ]; then fact telemetry off; return; fi
    port=$(sed -n 's/^http_port=//p' "$1")
    host=$(sed -n 's/^http_host=//p' "$1")
    python3 - "${host:-127.0.0.1}" "${port:-8888}" <<'PY' || fact telemetry unreachable
import json, sys, urllib.request
host, port = sys.argv[1], sys.argv[2]
if host in ("0.0.0.0", "::", ""):
    host = "127.0.0.1"
state = json.load(urllib.request.urlopen("http://%s:%s/api/state" % (host, port), timeout=10))
slow = {}
for s in state.get("slow_requests", []):
    pid = s.get("entry", {}).get("pid")
    slow[pid] = slow.get(pid, 0) + 1
print("telemetry=on")
for p in state.get("processes", []):
    fields = [s.get("fields", {}) for s in p.get("samples", [])]
    last = fields[-1] if fields else {}
    total = lambda k: sum(f.get(k, 0) or 0 for f in fields)
    group = p.get("process_group", "") or ""
    print("\t".join(str(v) for v in ["tproc", p.get("pid"), group.replace("\t", " "), total("request_count"),
        last.get("request_throughput", 0), last.get("capacity_utilization", 0), total("status_5xx_total"),
        total("status_4xx_total"), slow.get(p.get("pid"), 0)]))
PY
}
main "$@"
