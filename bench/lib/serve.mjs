// P4: the same Flask app (app1's release on the first host) served two ways on that host, loaded by wrk from
// this machine: through our default DaemonProcess in the host's Apache (port 80), and by
// `mod_wsgi-express start-server` with its defaults on port 8001 (its own Apache), runs alternating.
import { inHost } from "./hosts.mjs";
import { answer } from "./hostfacts.mjs";
import { say, stats } from "./proc.mjs";
import { wrkFixed } from "./watch.mjs";

const EXPRESS = "/opt/bench-express";
const SECONDS = 8;
const CONNECTIONS = 16;

export function serving(h, runs) {
    say("P4: mod_wsgi-express next to our daemon group on the first host");
    // Express's own venv: mod_wsgi and Flask at the versions the fleet uses (pip's cache: no compile).
    inHost(h, ["sh", "-c", `python3 -m venv ${EXPRESS} && ${EXPRESS}/bin/pip install -q mod_wsgi==6.1.1 flask==3.1.2`]);
    // The release our Application serves, resolved once: express must not follow a link we may switch.
    const release = inHost(h, ["readlink", "-f", "/srv/modwsgi/app1/current"]).out.trim();
    inHost(h, [
        "sh",
        "-c",
        `setsid -f ${EXPRESS}/bin/mod_wsgi-express start-server ${release}/app.wsgi --port 8001 ` +
            "--user www-data --group www-data --server-root /tmp/bench-express </dev/null >/tmp/bench-express.log 2>&1",
    ]);
    const urls = { ours: `http://${h.address}/app1/`, express: `http://${h.address}:8001/` };
    const served = { ours: answer(urls.ours), express: answer(urls.express) };
    const res = { ours: [], express: [] };
    for (let r = 0; r < runs; r++) {
        for (const who of ["ours", "express"]) res[who].push(wrkFixed(urls[who], SECONDS, CONNECTIONS));
        say(`  P4 run ${r + 1}: ours ${res.ours.at(-1).rps} req/s, express ${res.express.at(-1).rps} req/s`);
    }
    inHost(h, ["sh", "-c", "/tmp/bench-express/apachectl stop"], { allowFail: true });
    const sum = (xs) => ({
        requestsPerSecond: stats(
            xs.map((x) => x.rps),
            1,
        ),
        p99ms: stats(
            xs.map((x) => x.p99),
            2,
        ),
        failed: stats(
            xs.map((x) => x.failed),
            0,
        ),
    });
    return {
        wrk: { seconds: SECONDS, connections: CONNECTIONS, threads: 2 },
        served,
        ours: sum(res.ours),
        express: sum(res.express),
    };
}
