// The physical floor of a no-op check, measured with plain OpenSSH from this machine: one handshake per host
// (a login running `true`), and one round trip per resource (`true` over an open master connection).
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO } from "./hosts.mjs";
import { run, stats } from "./proc.mjs";

export function physicalFloor(h, runs) {
    const dir = path.join(REPO, "bench/.work/floor");
    fs.mkdirSync(dir, { recursive: true });
    const known = path.join(dir, "known_hosts");
    fs.writeFileSync(known, `${h.address} ${h.hostKey}\n`);
    const sock = path.join(dir, `ctl-${h.name}`);
    const base = ["-i", h.privateKeyFile, "-o", `UserKnownHostsFile=${known}`, "-o", "StrictHostKeyChecking=yes"];
    const target = `root@${h.address}`;
    const handshake = [];
    for (let r = 0; r < runs; r++) handshake.push(run(["ssh", ...base, "-o", "BatchMode=yes", target, "true"]).seconds);
    run(["ssh", ...base, "-o", "BatchMode=yes", "-o", "ControlMaster=yes", "-S", sock, "-fN", target]);
    const roundTrip = [];
    try {
        for (let r = 0; r < runs * 4; r++) roundTrip.push(run(["ssh", "-S", sock, target, "true"]).seconds);
    } finally {
        run(["ssh", "-S", sock, "-O", "exit", target], { allowFail: true });
    }
    return { handshakeSeconds: stats(handshake, 4), roundTripSeconds: stats(roundTrip, 4) };
}
