// The Ansible side: ansible-playbook from the bench's venv (bin/ANSIBLE_VENV), an inventory of the given hosts,
// host keys pinned in a known_hosts file of our own.
import process from "node:process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO } from "./hosts.mjs";
import { run } from "./proc.mjs";

const DIR = path.join(REPO, "bench/ansible");
const WORK = path.join(REPO, "bench/.work/ansible");

export function ansibleVersion() {
    return run([playbookBin(), "--version"]).out.split("\n")[0].trim();
}

function playbookBin() {
    return path.join(process.env.ANSIBLE_VENV ?? "/var/cache/modwsgi/bench/ansible-venv", "bin/ansible-playbook");
}

/** Writes the inventory of `hosts` (and their pinned keys); returns its path. */
function inventory(hosts) {
    fs.mkdirSync(WORK, { recursive: true });
    const known = path.join(WORK, "known_hosts");
    fs.writeFileSync(known, hosts.map((h) => `${h.address} ${h.hostKey}\n`).join(""));
    const inv = {
        fleet: {
            hosts: Object.fromEntries(hosts.map((h) => [h.name, { ansible_host: h.address }])),
            vars: {
                ansible_user: "root",
                ansible_ssh_private_key_file: hosts[0].privateKeyFile,
                ansible_ssh_extra_args: `-o UserKnownHostsFile=${known} -o StrictHostKeyChecking=yes`,
            },
        },
    };
    const file = path.join(WORK, `inventory-${hosts.length}.json`);
    fs.writeFileSync(file, JSON.stringify(inv));
    return file;
}

/** ansible-playbook site.yml on `hosts` with `apps` apps each; `check` adds --check --diff (the no-op check). */
export function playbook(hosts, { apps, source, app1Source, check = false, allowFail = false }) {
    const extra = JSON.stringify({ app_count: apps, source, app1_source: app1Source });
    const argv = [playbookBin(), "-i", inventory(hosts), "-e", extra, path.join(DIR, "site.yml")];
    if (check) argv.push("--check", "--diff");
    const r = run(argv, {
        cwd: DIR,
        env: { ...process.env, ANSIBLE_CONFIG: path.join(DIR, "ansible.cfg"), ANSIBLE_NOCOLOR: "1" },
        timeoutS: 1800,
        allowFail,
    });
    const recap = [...r.out.matchAll(/^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)];
    r.changed = recap.reduce((n, m) => n + Number(m[3]), 0);
    r.failed = recap.reduce((n, m) => n + Number(m[4]) + Number(m[5]), 0);
    return r;
}
