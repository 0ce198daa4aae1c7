// Prints the end-to-end test files in groups that share no sandbox host, one group per line (file paths separated
// by spaces). A file's hosts are the "hN" string literals it names (and a `// e2e-group: NAME` line, for files
// that share something other than a host); files that share a host, directly or through another file, land in one
// group and run one after another, while the groups run side by side (scripts/test.sh).
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";

const dir = path.resolve(import.meta.dirname, "../test/e2e");
const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".test.ts"))
    .sort();
const parent = new Map();
const find = (x) => {
    while (parent.get(x) !== x) x = parent.get(x);
    return x;
};
const union = (a, b) => parent.set(find(a), find(b));
for (const f of files) {
    parent.set(f, f);
    const text = fs.readFileSync(path.join(dir, f), "utf8");
    const hosts = new Set([
        ...(text.match(/(?<=["'`])h\d+(?=["'`])/g) ?? []),
        ...[...text.matchAll(/^\/\/ e2e-group: (\S+)/gm)].map((m) => `group:${m[1]}`),
    ]);
    for (const h of hosts) {
        if (!parent.has(h)) parent.set(h, h);
        union(f, h);
    }
}
const groups = new Map();
for (const f of files) groups.set(find(f), [...(groups.get(find(f)) ?? []), `test/e2e/${f}`]);
// Longest groups first (scripts/test.sh starts them in this order, at most E2E_JOBS at once): the seconds each file
// took in a full run (scripts/e2e-durations.json; a file not listed yet counts as 5 minutes).
const durations = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, "e2e-durations.json"), "utf8"));
const seconds = (g) => g.reduce((sum, f) => sum + (durations[path.basename(f)] ?? 300), 0);
const ordered = [...groups.values()].sort((a, b) => seconds(b) - seconds(a));
for (const g of ordered) process.stdout.write(g.join(" ") + "\n");
